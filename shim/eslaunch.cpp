// eslaunch: reads a program spec, plans the launch and execs the program in
// the foreground (`eslaunch FILE`). Parses arguments, calls the library,
// prints errors once, returns the status. `eslaunch check ...` executes
// eslaunch-check (libexecdir), which links what this root-run program
// leaves out: yaml-cpp, nlohmann-json, the preflight, the renderers
// (bench/RESULTS.md: each start of a program of this size pays for them).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "eslaunch/apply.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/host.hpp"
#include "eslaunch/plan.hpp"
#include "eslaunch/spec.hpp"
#include "eslaunch/values.hpp"
#include "cli.hpp"

extern char** environ;

namespace {

using eslaunch_cli::help_text;
using eslaunch_cli::load;
using eslaunch_cli::Loaded;
using eslaunch_cli::log_errors;
using eslaunch_cli::log_line;
using eslaunch_cli::usage_error;

// `eslaunch check ...` is eslaunch-check with the words after `check`;
// `eslaunch migrate ...` is eslaunch-check --migrate with those after `migrate`.
int run_check_program(const std::vector<std::string_view>& words) {
    // eslaunch-check's modes are not part of `eslaunch check`.
    if (words.size() > 1 && (words[1].starts_with("--node-http-settings") || words[1].starts_with("--migrate"))) {
        return usage_error(fmt::format("unknown option '{}'", words[1]));
    }
    std::string expected;
    const auto checker = eslaunch::find_helper({ESLAUNCH_BINDIR, ESLAUNCH_LIBEXECDIR}, "eslaunch-check", expected);
    if (!checker) {
        log_line(3, "error", fmt::format("eslaunch-check, which runs `eslaunch check`, is not at {}: reinstall eslaunch",
                                         expected));
        return eslaunch::status::oserr;
    }
    std::vector<std::string> argv{*checker};
    if (words[0] == "migrate") argv.emplace_back("--migrate");
    argv.insert(argv.end(), words.begin() + 1, words.end());
    eslaunch::RealSyscalls sys;
    const int err = sys.exec(*checker, argv, eslaunch::EnvMap::from_envp(environ).to_envp_strings());
    log_line(3, "error", fmt::format("cannot execute {}: {}", *checker, std::strerror(err)));
    return eslaunch::status::oserr;
}

int run_launch(const std::string& file, const std::optional<std::string>& program) {
    Loaded loaded_value;
    Loaded* const loaded = &loaded_value;
    if (auto errors = load(file, program, loaded_value)) {
        log_errors(*errors);
        return eslaunch::exit_status(*errors);
    }
    for (const auto& w : loaded->plan.warnings) {
        log_line(4, "warning", w.line > 0 ? fmt::format("{}:{}: {}", loaded->spec.file, w.line, w.text)
                                          : fmt::format("{}: {}", loaded->spec.file, w.text));
    }
    for (const auto& f : loaded->plan.env_file.findings) {  // each names the environment file's FILE:LINE
        log_line(4, "warning", fmt::format("{}: {}; {}", f.where, f.message, f.fix));
    }
    eslaunch::RealSyscalls sys;
    const eslaunch::Error error =
        eslaunch::apply_plan(loaded->plan, sys, eslaunch::listen_fds(loaded->plan.environment, ::getpid()));
    log_line(3, "error", error.str());
    return error.status;
}

int run(int argc, char** argv) {
    std::vector<std::string_view> words(argv + 1, argv + argc);
    if (words.empty()) return usage_error("no FILE given");
    if (words[0] == "--help" || words[0] == "-h") {
        fmt::print("{}", help_text);
        return eslaunch::status::ok;
    }
    if (words[0] == "--version") {
        fmt::print("eslaunch {}\n", ESLAUNCH_VERSION);
        return eslaunch::status::ok;
    }

    if (words[0] == "check" || words[0] == "migrate") return run_check_program(words);

    const auto read = eslaunch_cli::read_words(words, false);
    if (!read) return eslaunch::status::usage;
    const std::vector<std::string>& files = read->files;
    if (files.empty()) return usage_error("no FILE given");
    if (files.size() > 1) return usage_error(fmt::format("one FILE, not {}", files.size()));
    return run_launch(files.front(), read->program);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        // One line, as every other error; abort() so that it is not taken for an exit status.
        log_line(3, "error", fmt::format("internal error: {}", e.what()));
        std::abort();
    }
}
