// The root-run eslaunch's handler for an exception nothing caught: what()
// on stderr, then abort(), as libstdc++'s verbose handler does, minus the
// demangled type name.
//
// libstdc++ (linked statically) initialises std::terminate's handler,
// __cxxabiv1::__terminate_handler, to __gnu_cxx::__verbose_terminate_handler,
// which brings __cxa_demangle: 45 KB of code and 3 KB of relocated data
// that nothing on the launch path runs, but that sit between the code it
// does run. Each start maps the pages around every page it touches (the
// kernel's fault-around, 64 KB) and unmaps them again at the exec, so the
// size of the text is paid for at every launch: defining the handler
// variable here keeps libstdc++'s eh_term_handler.o, and with it the
// demangler, out of the link (bench/RESULTS.md, "Fifth look"). Were
// libstdc++ to define it elsewhere too, the link would fail on the
// duplicate, not silently keep both; tests/install/install_library.sh checks
// that eslaunch links no __cxa_demangle.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>

namespace {

void write_stderr(const char* text) {
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text, std::strlen(text));
}

[[noreturn]] void terminate_with_what() {
    write_stderr("eslaunch: error: internal error: ");
    if (const std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            write_stderr(x.what());
        } catch (...) {
            write_stderr("an exception that is not a std::exception");
        }
    } else {
        write_stderr("std::terminate called");
    }
    write_stderr("\n");
    std::abort();
}

}  // namespace

namespace __cxxabiv1 {
std::terminate_handler __terminate_handler = terminate_with_what;
}
