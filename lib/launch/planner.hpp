// Internal to the library (not installed): plan_launch's Planner, whose
// phases plan.cpp holds but for the heap's, in plan_heap.cpp. It reads only
// the Spec and the HostFacts and writes only its plan: plan_launch is pure.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/plan.hpp"

namespace eslaunch {

// "the launch script of Elasticsearch 7.17.25", for a message.
inline std::string es_launch_script(const std::optional<EsVersion>& version) {
    return version ? "the launch script of Elasticsearch " + version->str()
                   : std::string{"every launch script of Elasticsearch from 2.x on"};
}

// OpenSearch reads JVM options from this variable only (bin/opensearch).
inline constexpr std::string_view opensearch_java_opts = "OPENSEARCH_JAVA_OPTS";

class Planner {
public:
    Planner(const Spec& spec, const HostFacts& host) : spec_(spec), host_(host) {}
    Result<LaunchPlan> run();
    PlanAttempt attempt();  // every phase, whatever fails: the plan so far and every error

private:
    void error(int status, int line, std::string what, std::string hint) {
        errors_.push_back(Error{status, spec_.file, line, std::move(what), std::move(hint)});
    }
    void warn(int line, std::string text) { plan_.warnings.push_back({line, std::move(text)}); }
    bool spec_sets_variable(std::string_view name) const {
        auto named = [&](const EnvVar& v) { return v.name == name; };
        return std::any_of(spec_.environment.begin(), spec_.environment.end(), named) ||
               std::any_of(spec_.supervisord_environment.begin(), spec_.supervisord_environment.end(), named);
    }
    // The line of the environment= that sets the program's `name`, 0 when
    // it is inherited; and that for a message: " (environment= at line N)".
    int variable_line(std::string_view name) const;
    std::string variable_origin(std::string_view name) const;

    // The phases run() calls in order, each followed by its parts.
    void plan_identity();
    void keep_own_identity();
    void stay_root();
    const UserEntry* service_user();
    void switch_to(const UserEntry& user);
    std::vector<gid_t> planned_groups();
    void check_identity_ids();

    void plan_profile();

    void plan_heap();  // plan_heap.cpp
    void note_memory_limit();
    bool take_legacy_heap_size(std::optional<HeapSize>& wanted);
    std::optional<HeapVia> heap_way(const HeapSize& wanted);
    std::string dropped_opensearch_heap_reason(const HeapVia& via) const;
    std::optional<std::uint64_t> heap_within_memory(const HeapSize& wanted);
    void inject_heap(const HeapSize& wanted, const HeapVia& via, std::uint64_t bytes);
    bool refuse_dropped_heap_way(const HeapVia& via, const HeapSize& wanted);
    [[nodiscard]] std::string dropped_heap_reason(const HeapVia& via) const;
    void set_es_heap_size(const HeapSize& wanted, const std::string& size);
    void refuse_heap_flags_before_5(const HeapSize& wanted, const std::string& size);
    void append_heap_flags(const HeapSize& wanted, const std::string& variable, const std::string& size);

    void plan_env_file();  // plan_env_file.cpp
    void env_finding(std::string id, std::string where, std::string message, std::string fix);
    std::string env_file_at(int line) const;
    void report_unreadable_lines();
    void check_env_heap();
    void check_env_conf_dir();
    void check_env_conf_dir_agrees(const EnvAssignment& a);
    void check_env_ignored();
    void check_env_replaced();
    void check_env_not_exported();
    bool opensearch_skips_env_file();
    void plan_java();  // plan_java.cpp
    void warn_opensearch_java();
    void warn_keystore_password();
    void warn_java_home();
    void warn_java_tool_options();

    void plan_tmpdir();  // plan_tmpdir.cpp
    std::optional<std::string> default_tmpdir();
    void pass_tmpdir_variable(std::string_view variable, bool chosen);
    void refuse_other_tmpdir(bool chosen, const std::string& other, const std::string& where);
    void pass_tmpdir_java_option(bool chosen);

    void plan_limits();
    struct LimitWish {
        LimitValue want;
        bool required = false;
        int line = 0;          // of limit_KEY= in the spec; 0: not written there
        std::string written;   // the spec's value, as a message shows it
        std::string why;       // PlannedLimit::why
    };
    std::optional<LimitWish> limit_wish(LimitResource r, const std::map<LimitResource, LimitValue>& defaults,
                                        const std::string& lock);
    void plan_limit(LimitResource r, LimitWish w);
    bool clamp_nofile(const LimitWish& w, LimitValue& want);
    void plan_executable();

    void plan_readiness();
    void choose_probe();
    void let_program_notify();
    void plan_watcher();

    const Spec& spec_;
    const HostFacts& host_;
    LaunchPlan plan_;
    Errors errors_;
};

}  // namespace eslaunch
