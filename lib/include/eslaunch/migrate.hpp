// `eslaunch migrate`: an old supervisord [program:NAME] section, read the
// way supervisord reads it, turned into an eslaunch spec and the section
// that runs it; and `eslaunch check` of such a wrapper section. Check-only
// (lib/check): the launch never needs it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/error.hpp"
#include "eslaunch/finding.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch {

// One line the migration changed: from what, to what, in which file, why.
struct MigrateChange {
    int line = 0;        // in the old file; 0: about the section as a whole
    std::string key;     // e.g. "environment", "stopsignal", "heap_size"
    std::string from;    // as the old section had it; empty: not there
    std::string to;      // as written now; empty: removed
    std::string target;  // "spec" or "section"
    std::string why;
};

// A line (or one variable of a line) supervisord drops silently.
struct MigrateLoss {
    int line = 0;       // the line dropped
    int kept_line = 0;  // the line supervisord keeps instead
    std::string key;    // "environment", or "environment NAME" for one variable
    std::string value;  // what was dropped
    std::string what;   // the sentence the report prints
};

struct MigrateOptions {
    std::optional<std::string> program;  // --program NAME
    std::string spec_path;               // where the spec goes; empty: default_spec_path(NAME)
    std::string eslaunch = "eslaunch";   // the eslaunch the new section runs
};

struct Migration {
    std::string file;  // the old file
    std::string program;
    int section_line = 0;
    std::string spec_path;
    std::string spec_text;
    std::string section_text;
    std::vector<MigrateChange> changes;
    std::vector<MigrateLoss> losses;
};

// "/etc/eslaunch/NAME.ini".
[[nodiscard]] std::string default_spec_path(std::string_view program);

// Reads [program:NAME] of `text` as supervisord would (duplicate keys: the
// last wins; the same section twice: merged) and writes the spec and the
// section. Errors (78): the file's own, and no such program section.
[[nodiscard]] Result<Migration> migrate_section(std::string_view text, const std::string& path,
                                                const MigrateOptions& options);

// The old file, read whole (a regular file under max_spec_bytes); 78 with
// the reason when it cannot be.
[[nodiscard]] Result<std::string> read_old_file(const std::string& path);

// Writes `text` to `path` as a new file, 0644 (root's when run as root):
// through a temporary file in the same directory, linked into place without
// replacing anything. 78 when `path` exists, 73 when it cannot be created.
[[nodiscard]] std::optional<Error> write_new_file(const std::string& path, std::string_view text);

// What `check` found on the new spec: all that is left to the operator.
struct MigrateLeft {
    Errors errors;                  // the spec's or the plan's (user missing here...)
    std::vector<Finding> findings;  // launch paths and preflight
    std::vector<Note> warnings;     // the plan's warnings
};

[[nodiscard]] std::string render_migrate_text(const Migration& m, const std::string& section_path,
                                              const MigrateLeft& left);
[[nodiscard]] std::string render_migrate_json(const Migration& m, const std::string& section_path,
                                              const MigrateLeft& left);

// A section whose command= runs eslaunch on a spec: what check says about
// the section itself. nullopt when command= does not run eslaunch.
struct WrapperCheck {
    std::string spec;                    // the spec it names (empty: none)
    std::optional<std::string> program;  // its --program NAME
    std::vector<Finding> findings;
    std::vector<Note> notes;  // advice that is no finding (startsecs)
};
[[nodiscard]] std::optional<WrapperCheck> check_wrapper_section(const Spec& section);

[[nodiscard]] std::string render_wrapper_text(const Spec& section, const WrapperCheck& w);
// `spec_json`: check's JSON of the spec it names (or its errors).
[[nodiscard]] std::string render_wrapper_json(const Spec& section, const WrapperCheck& w, const std::string& spec_json);

}  // namespace eslaunch
