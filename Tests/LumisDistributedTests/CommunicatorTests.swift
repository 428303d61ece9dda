import LumisDistributed
import Testing

@Suite struct CommunicatorTests {
    @Test func sharesCoverTheRangeInRankOrderAndDifferByAtMostOne() {
        for count in [0, 1, 2, 7, 64, 1001] {
            for size in 1...5 {
                let parts = (0..<size).map { Communicator.share(of: count, rank: $0, size: size) }
                #expect(parts.first?.lowerBound == 0)
                #expect(parts.last?.upperBound == count)
                for (a, b) in zip(parts, parts.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                let sizes = parts.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1)
                #expect(sizes == sizes.sorted(by: >))
            }
        }
    }

    @Test func aSingleProcessIsItsOwnWorld() throws {
        let single = Communicator.single
        #expect(single.rank == 0 && single.size == 1 && single.isRoot && !single.usesMPI)
        var values = [1.5, -2.0]
        try single.allreduceSum(&values)
        #expect(values == [1.5, -2.0])
        #expect(try single.allreduceSum(3) == 3)
        #expect(try single.allreduceMax(4) == 4)
        #expect(try single.allgather([1, 2, 3]) == [[1, 2, 3]])
        #expect(try single.gather([9]) == [[9]])
        #expect(try single.broadcast([7, 8]) == [7, 8])
    }

    @Test func launchersAreRecognizedByTheirEnvironment() {
        #expect(!Communicator.isLaunchedByMPI(environment: [:]))
        #expect(Communicator.isLaunchedByMPI(environment: ["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(Communicator.isLaunchedByMPI(environment: ["PMIX_RANK": "0"]))
        #expect(Communicator.isLaunchedByMPI(environment: ["PMI_RANK": "1"]))
        #expect(!Communicator.isLaunchedByMPI(environment: ["OMPI_COMM_WORLD_SIZE": "2", "LUMIS_MPI": "0"]))
        #expect(Communicator.isLaunchedByMPI(environment: ["LUMIS_MPI": "1"]))
    }
}
