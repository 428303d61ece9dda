// Internal: call-stack addresses (see docs/cpp-frontend.md, "Addresses").
#ifndef LUMIS_CALL_STACK_HPP
#define LUMIS_CALL_STACK_HPP

#include <string>

namespace lumis::callstack {

/// One resolved return address: its function's demangled name ("" if no symbol covers it) and the frame's
/// address text, "<function>+0x<offset from the function's start>" or "<module file>+0x<offset from the module
/// base>" without a symbol. Neither depends on the load address.
struct Frame {
    std::string function;
    std::string text;
};

/// Resolves a return address, cached per address for the life of the process.
Frame resolve(const void* returnAddress);

/// The model's part of the current call stack: the frames between the front end's entry into the model (serve,
/// runMain or main) and the front end's sample/observe/tag, outermost first, joined by ";"; frames of namespace
/// std are left out. Empty when no frame could be named (a stripped binary).
std::string current();

}  // namespace lumis::callstack

#endif  // LUMIS_CALL_STACK_HPP
