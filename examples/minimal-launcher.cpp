// A launcher of your own on libeslaunch: parse a spec, plan, inspect the plan,
// apply it (the program replaces this process). Build against the install:
//   c++ -std=c++20 minimal-launcher.cpp $(pkg-config --cflags --libs eslaunch)
// The library finds eslaunch-watch and eslaunch-check in the libexecdir it
// was built for (eslaunch::installed_dirs(); pkg-config --variable=libexecdir
// eslaunch); without them, specs need ready=none.
#include <sys/utsname.h>
#include <unistd.h>

#include <eslaunch/apply.hpp>
#include <eslaunch/host.hpp>
#include <eslaunch/plan.hpp>
#include <eslaunch/spec.hpp>
#include <iostream>

extern char** environ;

static int fail(const eslaunch::Errors& errors) {
    for (const auto& e : errors) std::cerr << "minimal-launcher: " << e.str() << '\n';
    return eslaunch::exit_status(errors);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: minimal-launcher FILE\n";
        return eslaunch::status::usage;
    }
    eslaunch::ParseContext context;
    context.environ = eslaunch::EnvMap::from_envp(environ);
    utsname names{};
    if (::uname(&names) == 0) context.host_node_name = names.nodename;
    auto spec = eslaunch::load_spec(argv[1], context);
    if (!spec) return fail(spec.error());

    // Where the library's eslaunch keeps its helpers; an InstallDirs{bindir,
    // libexecdir} of your own overrides it.
    const eslaunch::InstallDirs dirs = eslaunch::installed_dirs();
    eslaunch::HostFacts host = eslaunch::gather_host_facts(*spec, context.environ, dirs);
    // plan_launch is pure; this one also reads elasticsearch.yml for the
    // default probe, through eslaunch-check as the node's user.
    auto plan = eslaunch::plan_launch_reading_node_settings(*spec, host);
    if (!plan) return fail(plan.error());

    std::cout << "program " << plan->program << " (" << plan->executable << ")\n"
              << "user " << plan->user_name << " uid " << plan->uid << " gid " << plan->gid
              << (plan->change_identity ? "" : " (unchanged)") << '\n';
    for (const auto& l : plan->limits) {
        std::cout << eslaunch::limit_key(l.resource) << ' ' << eslaunch::format_limit(l.resource, l.planned)
                  << (l.required ? " required\n" : " best effort\n");
    }
    if (plan->heap.bytes) {
        std::cout << "heap " << eslaunch::format_jvm_size(*plan->heap.bytes) << " via " << plan->heap.via << '\n';
    }
    for (const auto& w : plan->warnings) std::cout << "warning: " << w.text << '\n';
    std::cout.flush();  // the exec below replaces the process, buffers and all

    eslaunch::RealSyscalls sys;
    const eslaunch::Error error = eslaunch::apply_plan(*plan, sys, eslaunch::listen_fds(plan->environment, ::getpid()));
    return fail({error});  // apply_plan returns only when a step failed
}
