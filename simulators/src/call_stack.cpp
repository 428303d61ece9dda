// Call-stack addresses: return addresses resolved to "<function>+0x<offset>" from the module's own ELF symbol
// table (local and non-exported functions included, no -rdynamic needed), so that the text does not depend on
// where ASLR loaded the module. Resolutions are cached per return address.
#include "call_stack.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace lumis::callstack {

namespace {

struct Symbol {
    std::uint64_t start, size;
    std::string name;
};

/// The function symbols of one ELF file, sorted by start address (values as in the file).
class ModuleSymbols {
public:
    explicit ModuleSymbols(const char* path) {
        std::ifstream file(path, std::ios::binary);
        if (!file) return;
        const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        load(bytes);
    }

    bool isExecutable() const { return isExecutable_; }

    const Symbol* find(std::uint64_t address) const {
        auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                                   [](std::uint64_t a, const Symbol& s) { return a < s.start; });
        if (it == symbols_.begin()) return nullptr;
        --it;
        return address < it->start + std::max<std::uint64_t>(it->size, 1) ? &*it : nullptr;
    }

private:
    template <class T>
    static bool read(const std::string& bytes, std::uint64_t offset, T& out) {
        if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
        std::memcpy(&out, bytes.data() + offset, sizeof(T));
        return true;
    }

    void load(const std::string& bytes) {
        Elf64_Ehdr header;
        if (!read(bytes, 0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
            header.e_ident[EI_CLASS] != ELFCLASS64) {
            return;
        }
        isExecutable_ = header.e_type == ET_EXEC;
        std::vector<Elf64_Shdr> sections(header.e_shnum);
        for (std::size_t i = 0; i < sections.size(); ++i) {
            if (!read(bytes, header.e_shoff + i * sizeof(Elf64_Shdr), sections[i])) return;
        }
        // Prefer the full symbol table; a stripped file still has its dynamic one.
        for (const Elf64_Word wanted : {SHT_SYMTAB, SHT_DYNSYM}) {
            for (const auto& section : sections) {
                if (section.sh_type != wanted || section.sh_link >= sections.size()) continue;
                const auto& strings = sections[section.sh_link];
                for (std::uint64_t at = 0; at + sizeof(Elf64_Sym) <= section.sh_size; at += sizeof(Elf64_Sym)) {
                    Elf64_Sym symbol;
                    if (!read(bytes, section.sh_offset + at, symbol)) break;
                    if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_value == 0) continue;
                    const std::uint64_t nameAt = strings.sh_offset + symbol.st_name;
                    if (symbol.st_name >= strings.sh_size || nameAt >= bytes.size()) continue;
                    symbols_.push_back({symbol.st_value, symbol.st_size, std::string(bytes.c_str() + nameAt)});
                }
            }
            if (!symbols_.empty()) break;
        }
        std::sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) { return a.start < b.start; });
    }

    std::vector<Symbol> symbols_;
    bool isExecutable_ = false;
};

std::string demangle(const std::string& name) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> text(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status),
                                                std::free);
    return status == 0 && text ? std::string(text.get()) : name;
}

std::string hex(std::uint64_t x) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(x));
    return buffer;
}

std::mutex cacheLock;
std::map<std::string, std::unique_ptr<ModuleSymbols>> modules;
std::unordered_map<const void*, Frame> frames;

const ModuleSymbols& symbolsOf(const char* path) {
    auto& slot = modules[path];
    if (!slot) slot = std::make_unique<ModuleSymbols>(path);
    return *slot;
}

Frame resolveUncached(const void* returnAddress) {
    Dl_info info{};
    if (dladdr(returnAddress, &info) == 0 || info.dli_fname == nullptr) return {"", "?"};
    const auto pc = reinterpret_cast<std::uint64_t>(returnAddress);
    const auto base = reinterpret_cast<std::uint64_t>(info.dli_fbase);
    const ModuleSymbols& symbols = symbolsOf(info.dli_fname);
    // Symbol values are link-time addresses: absolute in a non-PIE executable, load-relative otherwise.
    const std::uint64_t linkAddress = symbols.isExecutable() ? pc : pc - base;
    // A return address can sit just past the end of a function that ends in a call; look up the call itself.
    if (const Symbol* symbol = symbols.find(linkAddress - 1)) {
        const std::string name = demangle(symbol->name);
        return {name, name + "+" + hex(linkAddress - symbol->start)};
    }
    const char* slash = std::strrchr(info.dli_fname, '/');
    const std::string module = slash != nullptr ? slash + 1 : info.dli_fname;
    return {"", module + "+" + hex(pc - base)};
}

bool startsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

Frame resolve(const void* returnAddress) {
    std::lock_guard<std::mutex> guard(cacheLock);
    auto it = frames.find(returnAddress);
    if (it == frames.end()) it = frames.emplace(returnAddress, resolveUncached(returnAddress)).first;
    return it->second;
}

std::string current() {
    void* stack[128];
    const int depth = backtrace(stack, 128);
    std::vector<std::string> path;
    bool inModel = false;
    for (int i = 0; i < depth; ++i) {
        const Frame frame = resolve(stack[i]);
        const bool isFrontEnd = startsWith(frame.function, "lumis::");
        if (!inModel) {
            // The front end's own frames (sample, observe, this function) come first.
            if (isFrontEnd || frame.function.empty()) continue;
            inModel = true;
        }
        // The model ends where the front end (serve, runMain) or main called it.
        if (isFrontEnd || frame.function == "main" || startsWith(frame.function, "__libc_start")) break;
        // std::function's invoker and other library plumbing carry no identity of their own.
        if (startsWith(frame.function, "std::")) continue;
        path.push_back(frame.text);
    }
    std::string text;
    for (auto it = path.rbegin(); it != path.rend(); ++it) text += (text.empty() ? "" : ";") + *it;
    return text;
}

}  // namespace lumis::callstack
