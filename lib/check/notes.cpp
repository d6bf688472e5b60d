// What check says about a spec beyond the plan, derived from the Spec
// only when check renders: the launch never computes it.
#include <fmt/format.h>

#include <algorithm>

#include "eslaunch/check.hpp"

namespace eslaunch {

std::string profile_reason(const Spec& spec) {
    if (spec.profile_setting != Profile::automatic) return "set in the spec";
    if (!search_node(spec.profile) || spec.argv.empty()) {
        return "auto: the command is not elasticsearch or opensearch";
    }
    // resolve_profile() chose it by the command's name.
    const std::string_view command = spec.argv.front();
    return fmt::format("auto: the command is named {}", command.substr(command.rfind('/') + 1));
}

std::vector<Note> supervisord_differences(const Spec& spec) {
    std::vector<Note> out;
    std::string own_keys;
    for (const auto& [key, line] : spec.key_lines) {
        const auto& eslaunch = eslaunch_keys();
        if (std::find(eslaunch.begin(), eslaunch.end(), key) != eslaunch.end()) {
            own_keys += (own_keys.empty() ? "" : ", ") + key;
        }
    }
    if (!own_keys.empty()) {
        out.push_back({0, fmt::format("supervisord ignores {}: they take effect only when eslaunch starts the program "
                                      "(command=eslaunch FILE)",
                                      own_keys)});
    }
    if (spec.user) {
        out.push_back({spec.line_of("user"),
                       "eslaunch sets HOME, USER, LOGNAME and SHELL from the user's passwd entry (unless environment= "
                       "sets them); supervisord keeps its own HOME and sets no USER or LOGNAME"});
    }
    if (!spec.argv.empty() && spec.argv.front().find('/') == std::string::npos) {
        for (const auto& var : spec.environment) {
            if (var.name != "PATH") continue;
            out.push_back({spec.line_of("command"),
                           fmt::format("eslaunch looks up '{}' in the PATH that environment= sets; supervisord "
                                       "looks it up in its own PATH",
                                       spec.argv.front())});
        }
    }
    if (!spec.supervisord_environment.empty()) {
        out.push_back({spec.supervisord_environment.front().line,
                       "environment= of [supervisord] is applied under the program's own, as supervisord does; when "
                       "eslaunch runs under that supervisord it already has these variables"});
    }
    if (spec.has_include) {
        out.push_back(
            {0, "the file has an [include] section: eslaunch reads only this file, not the files it includes"});
    }
    return out;
}

std::string_view source_name(Setting::Source s) {
    switch (s) {
        case Setting::Source::spec: return "spec";
        case Setting::Source::defaulted: return "default";
        case Setting::Source::profile: return "profile";
        case Setting::Source::derived: return "derived";
    }
    return {};
}

namespace {

using Source = Setting::Source;

Source source_of(const Spec& spec, std::string_view key) {
    return spec.line_of(key) > 0 ? Source::spec : Source::defaulted;
}

// Each limit: the spec's (required), else the profile's (best effort),
// else unchanged.
void add_limit_settings(const Spec& spec, const std::optional<EsVersion>& es_version, std::vector<Setting>& out) {
    const auto defaults = profile_limits(spec.profile, es_version);
    for (LimitResource r : all_limit_resources) {
        const std::string key{limit_key(r)};
        if (auto it = spec.limits.find(r); it != spec.limits.end()) {
            out.push_back({key, format_limit(r, it->second), Source::spec, "required"});
        } else if (auto d = defaults.find(r); d != defaults.end()) {
            std::string detail = "best effort";
            const std::uint64_t current_files = es_min_open_files(EsVersion{7, 0, 0});
            if (r == LimitResource::nofile && es_version && d->second.hard != current_files) {
                detail += fmt::format("; Elasticsearch {} wants {} ({} from 7.0)", es_version->str(), d->second.hard,
                                      current_files);
            }
            out.push_back({key, format_limit(r, d->second), Source::profile, std::move(detail)});
        } else {
            out.push_back({key, "", Source::defaulted, "unchanged"});
        }
    }
}

// es_home and es_path_conf: the same home and configuration directory
// that host reads (one place).
void add_es_path_settings(const Spec& spec, const EnvMap& program_env, std::vector<Setting>& out) {
    const bool es = search_node(spec.profile);
    const std::string es_home = es ? es_home_of(spec) : spec.es_home.value_or("");
    const bool home_derived = !spec.es_home && !es_home.empty();
    out.push_back({"es_home", es_home, home_derived ? Source::derived : source_of(spec, "es_home"),
                   home_derived ? "from command" : ""});
    std::string conf = spec.es_path_conf.value_or("");
    Source conf_source = source_of(spec, "es_path_conf");
    std::string conf_detail;
    if (!spec.es_path_conf && es) {
        conf = es_conf_dir_of(spec, program_env, es_home);
        if (!conf.empty()) {
            conf_source = Source::derived;
            const char* variable = spec.profile == Profile::opensearch ? "OPENSEARCH_PATH_CONF" : "ES_PATH_CONF";
            const std::string* env_conf = program_env.get(variable);
            conf_detail = env_conf != nullptr && !env_conf->empty() ? fmt::format("from {}", variable) : "es_home/config";
        }
    }
    out.push_back({"es_path_conf", conf, conf_source, conf_detail});
}

}  // namespace

std::vector<Setting> resolved_settings(const Spec& spec, const EnvMap& program_env,
                                      const std::optional<EsVersion>& es_version) {
    std::vector<Setting> out;
    auto from = [&](std::string_view key) { return source_of(spec, key); };
    auto flag = [](bool b) { return b ? "true" : "false"; };

    out.push_back({"profile", std::string{profile_name(spec.profile)}, from("profile"), profile_reason(spec)});
    out.push_back({"group", spec.group ? spec.group->text : "", from("group"),
                   spec.group ? "" : "the user's primary group"});
    out.push_back({"supplementary_groups", spec.supplementary_groups.str(), from("supplementary_groups"),
                   spec.supplementary_groups.mode == SupplementaryGroups::Mode::automatic ? "from the group database"
                                                                                          : ""});
    out.push_back({"clear_environment", flag(spec.clear_environment), from("clear_environment"), ""});
    add_limit_settings(spec, es_version, out);
    out.push_back({"heap_size", spec.heap_size ? spec.heap_size->str() : "", from("heap_size"),
                   spec.heap_size ? "" : "the JVM's or jvm.options'"});
    out.push_back({"heap_via", spec.heap_via.str(), from("heap_via"), ""});
    if (spec.ready) {
        out.push_back({"ready", spec.ready->str(), Source::spec, ""});
    } else if (search_node(spec.profile)) {
        out.push_back({"ready", "", Source::profile,
                       fmt::format("HTTP address and port from {}.yml: see readiness", profile_name(spec.profile))});
    } else {
        out.push_back({"ready", "none", Source::defaulted, ""});
    }
    out.push_back({"ready_expect", format_status_list(spec.ready_expect), from("ready_expect"), ""});
    out.push_back({"ready_timeout", spec.ready_timeout.str(), from("ready_timeout"), ""});
    out.push_back({"ready_interval", spec.ready_interval.str(), from("ready_interval"), ""});
    out.push_back({"ready_ca", spec.ready_ca.value_or(""), from("ready_ca"), ""});
    out.push_back({"ready_insecure", flag(spec.ready_insecure), from("ready_insecure"), ""});
    out.push_back({"ready_user", spec.ready_user.value_or(""), from("ready_user"), ""});
    out.push_back({"ready_password_file", spec.ready_password_file.value_or(""), from("ready_password_file"), ""});
    out.push_back({"watchdog", flag(spec.watchdog), from("watchdog"), ""});
    out.push_back({"no_new_privileges", flag(spec.no_new_privileges), from("no_new_privileges"), ""});
    out.push_back({"allow_root", flag(spec.allow_root), from("allow_root"), ""});
    add_es_path_settings(spec, program_env, out);
    if (spec.tmpdir) {
        out.push_back({"tmpdir", spec.tmpdir->empty() ? "none" : *spec.tmpdir, Source::spec, ""});
    } else if (search_node(spec.profile)) {
        out.push_back({"tmpdir", "", Source::profile, "a directory of its own when eslaunch runs as root: see tmpdir"});
    } else {
        out.push_back({"tmpdir", "none", Source::defaulted, ""});
    }
    out.push_back({"stdin", spec.stdin_file ? "file:" + *spec.stdin_file : std::string{"null"}, from("stdin"),
                   spec.stdin_file ? "opened as root, on fd 0 of the program only" : "/dev/null"});
    return out;
}

}  // namespace eslaunch
