// eslaunch: reads a program spec and (with later issues) launches it; for now
// `eslaunch check` shows what it will do. Parses arguments, calls the
// library, prints errors once, returns the status.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "eslaunch/check.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/spec.hpp"


extern char** environ;

namespace {

constexpr std::string_view usage_text =
    "usage: eslaunch check [--program NAME] [--json] FILE\n"
    "       eslaunch --help | --version\n";

constexpr std::string_view help_text =
    "eslaunch: start Elasticsearch (or any JVM or plain service) correctly under systemd or supervisord.\n"
    "\n"
    "usage: eslaunch check [--program NAME] [--json] FILE\n"
    "       eslaunch --help | --version\n"
    "\n"
    "  check FILE        read the [program:NAME] section of FILE (supervisord's INI dialect)\n"
    "                    and print what eslaunch will do with it; exit 0 when valid, 78 if not\n"
    "  --program NAME    the section to read when FILE holds several [program:*] sections\n"
    "  --json            print one JSON object instead of text\n"
    "  --help            this text\n"
    "  --version         the version\n"
    "\n"
    "Exit statuses: 0 ok, 64 bad usage, 78 invalid spec. Errors name FILE:LINE and the fix.\n"
    "The spec format: README.md and eslaunch.ini(5).\n";

int usage_error(std::string_view message) {
    fmt::print(stderr, "eslaunch: error: {}\n{}", message, usage_text);
    return eslaunch::status::usage;
}

struct CheckArgs {
    std::optional<std::string> program;
    bool json = false;
    std::string file;
};

int run_check(const CheckArgs& args) {
    eslaunch::ParseContext context;
    context.environ = eslaunch::EnvMap::from_envp(environ);
    utsname names{};
    if (::uname(&names) == 0) context.host_node_name = names.nodename;
    context.program = args.program;

    auto spec = eslaunch::load_spec(args.file, context);
    if (!spec) {
        for (const auto& e : spec.error()) fmt::print(stderr, "eslaunch: error: {}\n", e.str());
        if (args.json) fmt::print("{}", eslaunch::render_errors_json(spec.error()));
        return eslaunch::exit_status(spec.error());
    }
    const std::string out = args.json ? eslaunch::render_check_json(*spec, context.environ)
                                      : eslaunch::render_check_text(*spec, context.environ);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) return eslaunch::status::oserr;
    return eslaunch::status::ok;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) return usage_error("no command given");
    if (args[0] == "--help" || args[0] == "-h") {
        fmt::print("{}", help_text);
        return eslaunch::status::ok;
    }
    if (args[0] == "--version") {
        fmt::print("eslaunch {}\n", ESLAUNCH_VERSION);
        return eslaunch::status::ok;
    }
    if (args[0] != "check") {
        if (!args[0].starts_with("-")) {
            return usage_error(fmt::format("launching ('eslaunch {}') is not built yet; run 'eslaunch check {}'",
                                           args[0], args[0]));
        }
        return usage_error(fmt::format("unknown option '{}'", args[0]));
    }

    CheckArgs check;
    bool files_only = false;
    std::vector<std::string> files;
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (files_only || !a.starts_with("-") || a == "-") {
            files.emplace_back(a);
        } else if (a == "--") {
            files_only = true;
        } else if (a == "--json") {
            check.json = true;
        } else if (a == "--program") {
            if (i + 1 == args.size()) return usage_error("--program needs a NAME");
            check.program = std::string{args[++i]};
        } else if (a.starts_with("--program=")) {
            check.program = std::string{a.substr(10)};
        } else {
            return usage_error(fmt::format("unknown option '{}'", a));
        }
    }
    if (check.program && check.program->empty()) return usage_error("--program needs a NAME");
    if (files.empty()) return usage_error("check needs a FILE");
    if (files.size() > 1) return usage_error(fmt::format("check takes one FILE, got {}", files.size()));
    check.file = files.front();
    return run_check(check);
}
