// ppx_golden: writes and checks the PPX golden files shared by the C++ and Swift codecs.
//
//   ppx_golden list              prints the reference message names, one per line
//   ppx_golden write DIR         writes DIR/<name>.bin for every reference message (Finish without
//                                identifier) plus DIR/handshake_with_identifier.bin (identifier "PPXF")
//   ppx_golden check NAME FILE   exit 0: FILE decodes to reference NAME; 1: a field differs (one line
//                                names it); 2: FILE is unreadable or fails the FlatBuffers verifier;
//                                64: usage error or unknown NAME
//
// Equality is semantic (what a PPX reader sees): an absent string equals "", an absent `control` equals
// true. Two things are stricter because PPX peers depend on them: every Tensor must carry both its `data`
// and `shape` vectors, and an absent Tensor differs from an empty one.

#include "ppx_generated.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using TensorPtr = std::unique_ptr<ppx::TensorT>;

TensorPtr tensor(std::vector<double> data, std::vector<int32_t> shape) {
    auto t = std::make_unique<ppx::TensorT>();
    t->data = std::move(data);
    t->shape = std::move(shape);
    return t;
}

TensorPtr scalar(double x) { return tensor({x}, {}); }

/// One reference message and whether `Sample.control` is written even when it equals its default.
struct Golden {
    std::string name;
    ppx::MessageT message;
    bool writeDefaultControl = false;
};

template <class Body>
ppx::MessageT message(Body body) {
    ppx::MessageT m;
    m.body.Set(std::move(body));
    return m;
}

template <class Dist>
ppx::SampleT sample(std::string address, std::string name, Dist dist, bool control = true) {
    ppx::SampleT s;
    s.address = std::move(address);
    s.name = std::move(name);
    s.distribution.Set(std::move(dist));
    s.control = control;
    return s;
}

ppx::NormalT normal(TensorPtr mean, TensorPtr stddev) {
    ppx::NormalT d;
    d.mean = std::move(mean);
    d.stddev = std::move(stddev);
    return d;
}

template <class Dist>
Golden distributionSample(const std::string& suffix, Dist dist) {
    return {"dist_" + suffix, message(sample("d", suffix, std::move(dist))), true};
}

std::vector<Golden> references() {
    std::vector<Golden> g;
    {
        ppx::HandshakeT b;
        b.system_name = "lumis 0.1";
        g.push_back({"handshake", message(std::move(b))});
    }
    {
        ppx::HandshakeResultT b;
        b.system_name = "lumis_cpp 0.1";
        b.model_name = "Gaussian with unknown mean";
        g.push_back({"handshake_result", message(std::move(b))});
    }
    g.push_back({"run", message(ppx::RunT{})});
    {
        ppx::RunResultT b;
        b.result = scalar(7.25);
        g.push_back({"run_result", message(std::move(b))});
    }
    {
        ppx::RunResultT b;
        b.result = tensor({1, 0, 0, 0, 1, 0}, {2, 3});
        g.push_back({"run_result_matrix", message(std::move(b))});
    }
    g.push_back({"sample_normal",
                 message(sample("[forward()+0x2a; main+0x1f]", "mu", normal(scalar(1), scalar(2.2360679774997896))))});
    {
        ppx::UniformT d;
        d.low = scalar(0);
        d.high = scalar(1);
        g.push_back({"sample_uncontrolled", message(sample("a", "", std::move(d), false))});
    }
    {
        ppx::SampleResultT b;
        b.result = scalar(0.5);
        g.push_back({"sample_result", message(std::move(b))});
    }
    {
        ppx::SampleResultT b;
        b.result = tensor({}, {});
        g.push_back({"sample_result_empty", message(std::move(b))});
    }
    {
        ppx::ObserveT b;
        b.address = "obs_site";
        b.name = "obs0";
        b.distribution.Set(normal(tensor({1, 2}, {2}), scalar(1.4142135623730951)));
        b.value = tensor({8, 9}, {2});
        g.push_back({"observe_value", message(std::move(b))});
    }
    {
        ppx::ObserveT b;
        b.address = "[forward()+0x99]";
        b.name = "obs1";
        b.distribution.Set(normal(scalar(0), scalar(1)));
        g.push_back({"observe_named", message(std::move(b))});
    }
    g.push_back({"observe_result", message(ppx::ObserveResultT{})});
    {
        ppx::TagT b;
        b.address = "t";
        b.name = "energy";
        b.value = scalar(3.5);
        g.push_back({"tag", message(std::move(b))});
    }
    g.push_back({"tag_result", message(ppx::TagResultT{})});
    g.push_back({"reset", message(ppx::ResetT{})});

    g.push_back(distributionSample("normal", normal(scalar(1.75), scalar(0.5))));
    {
        ppx::UniformT d;
        d.low = scalar(1.2);
        d.high = scalar(2.5);
        g.push_back(distributionSample("uniform", std::move(d)));
    }
    {
        ppx::CategoricalT d;
        d.probs = tensor({0.1, 0.5, 0.4}, {3});
        g.push_back(distributionSample("categorical", std::move(d)));
    }
    {
        ppx::PoissonT d;
        d.rate = scalar(4);
        g.push_back(distributionSample("poisson", std::move(d)));
    }
    {
        ppx::BernoulliT d;
        d.probs = scalar(0.2);
        g.push_back(distributionSample("bernoulli", std::move(d)));
    }
    {
        ppx::BetaT d;
        d.concentration1 = scalar(1.2);
        d.concentration0 = scalar(2.5);
        g.push_back(distributionSample("beta", std::move(d)));
    }
    {
        ppx::ExponentialT d;
        d.rate = scalar(2.2);
        g.push_back(distributionSample("exponential", std::move(d)));
    }
    {
        ppx::GammaT d;
        d.concentration = scalar(0.5);
        d.rate = scalar(1.2);
        g.push_back(distributionSample("gamma", std::move(d)));
    }
    {
        ppx::LogNormalT d;
        d.loc = scalar(0.5);
        d.scale = scalar(0.2);
        g.push_back(distributionSample("log_normal", std::move(d)));
    }
    {
        ppx::BinomialT d;
        d.total_count = scalar(10);
        d.probs = scalar(0.72);
        g.push_back(distributionSample("binomial", std::move(d)));
    }
    {
        ppx::WeibullT d;
        d.scale = scalar(1.1);
        d.concentration = scalar(0.6);
        g.push_back(distributionSample("weibull", std::move(d)));
    }
    return g;
}

// ---------------------------------------------------------------------------------------------------------
// Writing. The object API's Pack drops empty vectors and strings, which PPX forbids for Tensor vectors, so
// buffers are built with the generated Create* functions, always writing every string and both vectors.

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Offset<ppx::Tensor> packTensor(FlatBufferBuilder& b, const TensorPtr& t) {
    if (!t) return 0;
    auto data = b.CreateVector(t->data);
    auto shape = b.CreateVector(t->shape);
    return ppx::CreateTensor(b, data, shape);
}

Offset<void> packDistribution(FlatBufferBuilder& b, const ppx::DistributionUnion& d) {
    switch (d.type) {
    case ppx::Distribution_Normal: {
        auto x = d.AsNormal();
        auto p0 = packTensor(b, x->mean);
        auto p1 = packTensor(b, x->stddev);
        return ppx::CreateNormal(b, p0, p1).Union();
    }
    case ppx::Distribution_Uniform: {
        auto x = d.AsUniform();
        auto p0 = packTensor(b, x->low);
        auto p1 = packTensor(b, x->high);
        return ppx::CreateUniform(b, p0, p1).Union();
    }
    case ppx::Distribution_Categorical:
        return ppx::CreateCategorical(b, packTensor(b, d.AsCategorical()->probs)).Union();
    case ppx::Distribution_Poisson:
        return ppx::CreatePoisson(b, packTensor(b, d.AsPoisson()->rate)).Union();
    case ppx::Distribution_Bernoulli:
        return ppx::CreateBernoulli(b, packTensor(b, d.AsBernoulli()->probs)).Union();
    case ppx::Distribution_Beta: {
        auto x = d.AsBeta();
        auto p0 = packTensor(b, x->concentration1);
        auto p1 = packTensor(b, x->concentration0);
        return ppx::CreateBeta(b, p0, p1).Union();
    }
    case ppx::Distribution_Exponential:
        return ppx::CreateExponential(b, packTensor(b, d.AsExponential()->rate)).Union();
    case ppx::Distribution_Gamma: {
        auto x = d.AsGamma();
        auto p0 = packTensor(b, x->concentration);
        auto p1 = packTensor(b, x->rate);
        return ppx::CreateGamma(b, p0, p1).Union();
    }
    case ppx::Distribution_LogNormal: {
        auto x = d.AsLogNormal();
        auto p0 = packTensor(b, x->loc);
        auto p1 = packTensor(b, x->scale);
        return ppx::CreateLogNormal(b, p0, p1).Union();
    }
    case ppx::Distribution_Binomial: {
        auto x = d.AsBinomial();
        auto p0 = packTensor(b, x->total_count);
        auto p1 = packTensor(b, x->probs);
        return ppx::CreateBinomial(b, p0, p1).Union();
    }
    case ppx::Distribution_Weibull: {
        auto x = d.AsWeibull();
        auto p0 = packTensor(b, x->scale);
        auto p1 = packTensor(b, x->concentration);
        return ppx::CreateWeibull(b, p0, p1).Union();
    }
    case ppx::Distribution_NONE:
        break;
    }
    return 0;
}

Offset<void> packBody(FlatBufferBuilder& b, const Golden& g) {
    const auto& body = g.message.body;
    switch (body.type) {
    case ppx::MessageBody_Handshake:
        return ppx::CreateHandshake(b, b.CreateString(body.AsHandshake()->system_name)).Union();
    case ppx::MessageBody_HandshakeResult: {
        auto x = body.AsHandshakeResult();
        auto s = b.CreateString(x->system_name);
        auto m = b.CreateString(x->model_name);
        return ppx::CreateHandshakeResult(b, s, m).Union();
    }
    case ppx::MessageBody_Run:
        return ppx::CreateRun(b).Union();
    case ppx::MessageBody_RunResult:
        return ppx::CreateRunResult(b, packTensor(b, body.AsRunResult()->result)).Union();
    case ppx::MessageBody_Sample: {
        auto x = body.AsSample();
        auto address = b.CreateString(x->address);
        auto name = b.CreateString(x->name);
        auto dist = packDistribution(b, x->distribution);
        ppx::SampleBuilder sb(b);
        sb.add_address(address);
        sb.add_name(name);
        sb.add_distribution_type(x->distribution.type);
        sb.add_distribution(dist);
        if (g.writeDefaultControl || !x->control) {
            // AddElement skips values equal to the default unless defaults are forced.
            b.ForceDefaults(true);
            sb.add_control(x->control);
            b.ForceDefaults(false);
        }
        return sb.Finish().Union();
    }
    case ppx::MessageBody_SampleResult:
        return ppx::CreateSampleResult(b, packTensor(b, body.AsSampleResult()->result)).Union();
    case ppx::MessageBody_Observe: {
        auto x = body.AsObserve();
        auto address = b.CreateString(x->address);
        auto name = b.CreateString(x->name);
        auto dist = packDistribution(b, x->distribution);
        auto value = packTensor(b, x->value);
        return ppx::CreateObserve(b, address, name, x->distribution.type, dist, value).Union();
    }
    case ppx::MessageBody_ObserveResult:
        return ppx::CreateObserveResult(b).Union();
    case ppx::MessageBody_Tag: {
        auto x = body.AsTag();
        auto address = b.CreateString(x->address);
        auto name = b.CreateString(x->name);
        auto value = packTensor(b, x->value);
        return ppx::CreateTag(b, address, name, value).Union();
    }
    case ppx::MessageBody_TagResult:
        return ppx::CreateTagResult(b).Union();
    case ppx::MessageBody_Reset:
        return ppx::CreateReset(b).Union();
    case ppx::MessageBody_NONE:
        break;
    }
    return 0;
}

std::vector<uint8_t> pack(const Golden& g, bool withIdentifier) {
    FlatBufferBuilder b(256);
    auto body = packBody(b, g);
    auto root = ppx::CreateMessage(b, g.message.body.type, body);
    if (withIdentifier) {
        ppx::FinishMessageBuffer(b, root);
    } else {
        b.Finish(root);
    }
    return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

bool writeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
}

// ---------------------------------------------------------------------------------------------------------
// Checking: field-by-field comparison that reports the first differing field as a path.

template <class T>
std::string show(const std::vector<T>& v) {
    std::ostringstream s;
    s.precision(17);
    s << '[';
    for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
    s << ']';
    return s.str();
}

std::string show(const std::string& s) { return '"' + s + '"'; }
std::string show(bool b) { return b ? "true" : "false"; }

/// Collects the first difference; later comparisons are skipped once one is found.
struct Diff {
    std::string line;

    template <class T>
    void field(const std::string& path, const T& expected, const T& actual) {
        if (line.empty() && !(expected == actual)) {
            line = path + ": expected " + show(expected) + ", got " + show(actual);
        }
    }

    void tensor(const std::string& path, const TensorPtr& expected, const TensorPtr& actual) {
        if (!line.empty()) return;
        if (!expected || !actual) {
            if (static_cast<bool>(expected) != static_cast<bool>(actual)) {
                line = path + ": expected " + (expected ? "a Tensor" : "absent") + ", got " +
                       (actual ? "a Tensor" : "absent");
            }
            return;
        }
        field(path + ".data", expected->data, actual->data);
        field(path + ".shape", expected->shape, actual->shape);
    }

    void distribution(const std::string& path, const ppx::DistributionUnion& e, const ppx::DistributionUnion& a) {
        if (!line.empty()) return;
        if (e.type != a.type) {
            line = path + "_type: expected " + ppx::EnumNameDistribution(e.type) + ", got " +
                   std::to_string(static_cast<int>(a.type));
            return;
        }
        const std::string p = path + "." + ppx::EnumNameDistribution(e.type);
        switch (e.type) {
        case ppx::Distribution_Normal:
            tensor(p + ".mean", e.AsNormal()->mean, a.AsNormal()->mean);
            tensor(p + ".stddev", e.AsNormal()->stddev, a.AsNormal()->stddev);
            break;
        case ppx::Distribution_Uniform:
            tensor(p + ".low", e.AsUniform()->low, a.AsUniform()->low);
            tensor(p + ".high", e.AsUniform()->high, a.AsUniform()->high);
            break;
        case ppx::Distribution_Categorical:
            tensor(p + ".probs", e.AsCategorical()->probs, a.AsCategorical()->probs);
            break;
        case ppx::Distribution_Poisson:
            tensor(p + ".rate", e.AsPoisson()->rate, a.AsPoisson()->rate);
            break;
        case ppx::Distribution_Bernoulli:
            tensor(p + ".probs", e.AsBernoulli()->probs, a.AsBernoulli()->probs);
            break;
        case ppx::Distribution_Beta:
            tensor(p + ".concentration1", e.AsBeta()->concentration1, a.AsBeta()->concentration1);
            tensor(p + ".concentration0", e.AsBeta()->concentration0, a.AsBeta()->concentration0);
            break;
        case ppx::Distribution_Exponential:
            tensor(p + ".rate", e.AsExponential()->rate, a.AsExponential()->rate);
            break;
        case ppx::Distribution_Gamma:
            tensor(p + ".concentration", e.AsGamma()->concentration, a.AsGamma()->concentration);
            tensor(p + ".rate", e.AsGamma()->rate, a.AsGamma()->rate);
            break;
        case ppx::Distribution_LogNormal:
            tensor(p + ".loc", e.AsLogNormal()->loc, a.AsLogNormal()->loc);
            tensor(p + ".scale", e.AsLogNormal()->scale, a.AsLogNormal()->scale);
            break;
        case ppx::Distribution_Binomial:
            tensor(p + ".total_count", e.AsBinomial()->total_count, a.AsBinomial()->total_count);
            tensor(p + ".probs", e.AsBinomial()->probs, a.AsBinomial()->probs);
            break;
        case ppx::Distribution_Weibull:
            tensor(p + ".scale", e.AsWeibull()->scale, a.AsWeibull()->scale);
            tensor(p + ".concentration", e.AsWeibull()->concentration, a.AsWeibull()->concentration);
            break;
        case ppx::Distribution_NONE:
            break;
        }
    }

    void message(const ppx::MessageT& e, const ppx::MessageT& a) {
        if (e.body.type != a.body.type) {
            line = std::string("body_type: expected ") + ppx::EnumNameMessageBody(e.body.type) + ", got " +
                   std::to_string(static_cast<int>(a.body.type));
            return;
        }
        const std::string p = std::string("body.") + ppx::EnumNameMessageBody(e.body.type);
        const auto &eb = e.body, &ab = a.body;
        switch (eb.type) {
        case ppx::MessageBody_Handshake:
            field(p + ".system_name", eb.AsHandshake()->system_name, ab.AsHandshake()->system_name);
            break;
        case ppx::MessageBody_HandshakeResult:
            field(p + ".system_name", eb.AsHandshakeResult()->system_name, ab.AsHandshakeResult()->system_name);
            field(p + ".model_name", eb.AsHandshakeResult()->model_name, ab.AsHandshakeResult()->model_name);
            break;
        case ppx::MessageBody_RunResult:
            tensor(p + ".result", eb.AsRunResult()->result, ab.AsRunResult()->result);
            break;
        case ppx::MessageBody_Sample: {
            auto x = eb.AsSample(), y = ab.AsSample();
            field(p + ".address", x->address, y->address);
            field(p + ".name", x->name, y->name);
            distribution(p + ".distribution", x->distribution, y->distribution);
            field(p + ".control", x->control, y->control);
            break;
        }
        case ppx::MessageBody_SampleResult:
            tensor(p + ".result", eb.AsSampleResult()->result, ab.AsSampleResult()->result);
            break;
        case ppx::MessageBody_Observe: {
            auto x = eb.AsObserve(), y = ab.AsObserve();
            field(p + ".address", x->address, y->address);
            field(p + ".name", x->name, y->name);
            distribution(p + ".distribution", x->distribution, y->distribution);
            tensor(p + ".value", x->value, y->value);
            break;
        }
        case ppx::MessageBody_Tag: {
            auto x = eb.AsTag(), y = ab.AsTag();
            field(p + ".address", x->address, y->address);
            field(p + ".name", x->name, y->name);
            tensor(p + ".value", x->value, y->value);
            break;
        }
        default:
            break;  // Bodies without fields.
        }
    }
};

/// Finds the first Tensor in the raw buffer that lacks its `data` or `shape` vector.
std::string missingTensorVector(const ppx::Message& m) {
    std::string found;
    auto check = [&found](const std::string& path, const ppx::Tensor* t) {
        if (!found.empty() || t == nullptr) return;
        if (t->data() == nullptr) found = path + ".data: vector absent (PPX requires data and shape)";
        else if (t->shape() == nullptr) found = path + ".shape: vector absent (PPX requires data and shape)";
    };
    auto checkDistribution = [&check](const std::string& path, ppx::Distribution type, const void* d) {
        if (d == nullptr) return;
        const std::string p = path + "." + ppx::EnumNameDistribution(type);
        switch (type) {
        case ppx::Distribution_Normal: {
            auto x = static_cast<const ppx::Normal*>(d);
            check(p + ".mean", x->mean());
            check(p + ".stddev", x->stddev());
            break;
        }
        case ppx::Distribution_Uniform: {
            auto x = static_cast<const ppx::Uniform*>(d);
            check(p + ".low", x->low());
            check(p + ".high", x->high());
            break;
        }
        case ppx::Distribution_Categorical:
            check(p + ".probs", static_cast<const ppx::Categorical*>(d)->probs());
            break;
        case ppx::Distribution_Poisson:
            check(p + ".rate", static_cast<const ppx::Poisson*>(d)->rate());
            break;
        case ppx::Distribution_Bernoulli:
            check(p + ".probs", static_cast<const ppx::Bernoulli*>(d)->probs());
            break;
        case ppx::Distribution_Beta: {
            auto x = static_cast<const ppx::Beta*>(d);
            check(p + ".concentration1", x->concentration1());
            check(p + ".concentration0", x->concentration0());
            break;
        }
        case ppx::Distribution_Exponential:
            check(p + ".rate", static_cast<const ppx::Exponential*>(d)->rate());
            break;
        case ppx::Distribution_Gamma: {
            auto x = static_cast<const ppx::Gamma*>(d);
            check(p + ".concentration", x->concentration());
            check(p + ".rate", x->rate());
            break;
        }
        case ppx::Distribution_LogNormal: {
            auto x = static_cast<const ppx::LogNormal*>(d);
            check(p + ".loc", x->loc());
            check(p + ".scale", x->scale());
            break;
        }
        case ppx::Distribution_Binomial: {
            auto x = static_cast<const ppx::Binomial*>(d);
            check(p + ".total_count", x->total_count());
            check(p + ".probs", x->probs());
            break;
        }
        case ppx::Distribution_Weibull: {
            auto x = static_cast<const ppx::Weibull*>(d);
            check(p + ".scale", x->scale());
            check(p + ".concentration", x->concentration());
            break;
        }
        case ppx::Distribution_NONE:
            break;
        }
    };
    const std::string p = std::string("body.") + ppx::EnumNameMessageBody(m.body_type());
    if (auto x = m.body_as_RunResult()) check(p + ".result", x->result());
    if (auto x = m.body_as_SampleResult()) check(p + ".result", x->result());
    if (auto x = m.body_as_Tag()) check(p + ".value", x->value());
    if (auto x = m.body_as_Sample()) checkDistribution(p + ".distribution", x->distribution_type(), x->distribution());
    if (auto x = m.body_as_Observe()) {
        checkDistribution(p + ".distribution", x->distribution_type(), x->distribution());
        check(p + ".value", x->value());
    }
    return found;
}

int usage() {
    std::fprintf(stderr,
                 "usage: ppx_golden list\n"
                 "       ppx_golden write DIR\n"
                 "       ppx_golden check NAME FILE\n");
    return 64;
}

int check(const std::string& name, const std::string& path) {
    const auto refs = references();
    const Golden* ref = nullptr;
    for (const auto& g : refs) {
        if (g.name == name) ref = &g;
    }
    if (ref == nullptr) {
        std::fprintf(stderr, "ppx_golden: unknown reference message '%s' (see `ppx_golden list`)\n", name.c_str());
        return 64;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::printf("%s: cannot read file\n", path.c_str());
        return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    flatbuffers::Verifier verifier(bytes.data(), bytes.size());
    // The identifier is optional in PPX, so it is not required here (VerifyMessageBuffer would).
    if (bytes.empty() || !verifier.VerifyBuffer<ppx::Message>(nullptr)) {
        std::printf("%s: FlatBuffers verification failed\n", path.c_str());
        return 2;
    }
    const ppx::Message* raw = ppx::GetMessage(bytes.data());
    std::unique_ptr<ppx::MessageT> actual(raw->UnPack());
    Diff diff;
    diff.message(ref->message, *actual);
    if (diff.line.empty()) diff.line = missingTensorVector(*raw);
    if (!diff.line.empty()) {
        std::printf("%s\n", diff.line.c_str());
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && args[0] == "list") {
        for (const auto& g : references()) std::printf("%s\n", g.name.c_str());
        return 0;
    }
    if (args.size() == 2 && args[0] == "write") {
        for (const auto& g : references()) {
            const std::string path = args[1] + "/" + g.name + ".bin";
            if (!writeFile(path, pack(g, false))) {
                std::fprintf(stderr, "ppx_golden: cannot write %s\n", path.c_str());
                return 2;
            }
        }
        const auto refs = references();
        const std::string path = args[1] + "/handshake_with_identifier.bin";
        if (!writeFile(path, pack(refs.front(), true))) {
            std::fprintf(stderr, "ppx_golden: cannot write %s\n", path.c_str());
            return 2;
        }
        return 0;
    }
    if (args.size() == 3 && args[0] == "check") return check(args[1], args[2]);
    return usage();
}
