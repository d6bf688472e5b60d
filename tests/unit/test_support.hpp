// What every unit test parses with: a fixed environment and host name.
#pragma once

#include <string>
#include <string_view>

#include "eslaunch/spec.hpp"
#include "spec_cases.hpp"

#include <gtest/gtest.h>

namespace eslaunch::testing {

inline ParseContext test_context() {
    ParseContext context;
    context.environ.set("HOME", "/root");
    context.environ.set("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    context.environ.set("ES_HOME", "/opt/es");
    context.environ.set("LANG", "C.UTF-8");
    context.environ.set("WITH_COMMA", "a,b c");
    context.host_node_name = std::string{case_host};
    return context;
}

inline Result<Spec> parse_text(std::string_view text, const ParseContext& context = test_context()) {
    return parse_spec(text, std::string{case_file}, context);
}

}  // namespace eslaunch::testing

#include "eslaunch/host.hpp"
#include "eslaunch/plan.hpp"

namespace eslaunch::testing {

// A root eslaunch on a 16 GiB host without CAP_SYS_RESOURCE, hard nofile
// 20000, and a user `work` (1000:1000, also in group 4 adm).
inline HostFacts test_host() {
    HostFacts h;
    h.euid = 0;
    h.egid = 0;
    h.current_user = UserEntry{"root", 0, 0, "/root", "/bin/bash"};
    h.environ = test_context().environ;
    h.user = UserEntry{"work", 1000, 1000, "/home/work", "/bin/bash"};
    h.user_groups = {1000, 4};
    h.current_limits = {{LimitResource::nofile, {1024, 20000}},      {LimitResource::nproc, {63000, 63000}},
                        {LimitResource::memlock, {8 << 20, 8 << 20}}, {LimitResource::as, {limit_infinity, limit_infinity}},
                        {LimitResource::fsize, {limit_infinity, limit_infinity}}, {LimitResource::core, {0, limit_infinity}}};
    h.nr_open = 1048576;
    h.watcher = "/usr/libexec/eslaunch-watch";
    h.watcher_expected = "/usr/libexec/eslaunch-watch";
    h.mem_total = std::uint64_t{16} << 30;
    return h;
}

// An Elasticsearch home at /opt/es of `version`, with jvm.options' -Xms1g -Xmx1g.
inline HostFacts es_host(std::string_view version) {
    HostFacts h = test_host();
    h.es.home = "/opt/es";
    auto v = es_version_from_jar_name(std::string{"elasticsearch-"} + std::string{version} + ".jar");
    h.es.version = v;
    h.es.version_source = std::string{"/opt/es/lib/elasticsearch-"} + std::string{version} + ".jar";
    h.es.conf_dir = "/opt/es/config";
    if (v && v->major >= 5) {
        h.es.jvm_options = {{"/opt/es/config/jvm.options:22", "-Xms1g"}, {"/opt/es/config/jvm.options:23", "-Xmx1g"}};
    }
    return h;
}

// An OpenSearch home at /opt/os of `version`, as gather_host_facts makes it.
inline HostFacts os_host(std::string_view version) {
    HostFacts h = test_host();
    h.es.home = "/opt/os";
    h.es.opensearch = true;
    h.es.version = opensearch_version_from_jar_name(std::string{"opensearch-"} + std::string{version} + ".jar");
    h.es.version_source = std::string{"/opt/os/lib/opensearch-"} + std::string{version} + ".jar";
    h.es.conf_dir = "/opt/os/config";
    h.es.jvm_options = {{"/opt/os/config/jvm.options:22", "-Xms1g"}, {"/opt/os/config/jvm.options:23", "-Xmx1g"}};
    h.es.java = choose_opensearch_java(h.es.version, h.environ, h.es.home);
    return h;
}

// The plan's entry for limit `r`, or nullptr when it leaves `r` unchanged.
inline const PlannedLimit* find_limit(const LaunchPlan& plan, LimitResource r) {
    for (const auto& l : plan.limits) {
        if (l.resource == r) return &l;
    }
    return nullptr;
}

inline LaunchPlan plan_ok(std::string_view text, const HostFacts& host = test_host()) {
    auto spec = parse_text(text);
    if (!spec) {
        ADD_FAILURE() << spec.error().front().str();
        return {};
    }
    auto plan = plan_launch(*spec, host);
    if (!plan) {
        ADD_FAILURE() << plan.error().front().str();
        return {};
    }
    return std::move(*plan);
}

// The first error of planning `text` on `host`.
inline Error plan_error(std::string_view text, const HostFacts& host = test_host()) {
    auto spec = parse_text(text);
    if (!spec) return spec.error().front();
    auto plan = plan_launch(*spec, host);
    if (plan) {
        ADD_FAILURE() << "planned a launch that must be refused";
        return {};
    }
    return plan.error().front();
}

}  // namespace eslaunch::testing
