// The readiness probes of eslaunch-watch: tcp://, http:// (one HTTP/1.1 GET,
// written here), https:// (libcurl, dlopen()ed in a child for each try),
// exec:. Watcher only: the root-run shim never links this.
//
// Every try is bounded in time, and gives up at once when `abort_fd` becomes
// readable (the program's pidfd: the program died, nothing left to probe).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "eslaunch/error.hpp"
#include "eslaunch/readiness.hpp"

namespace eslaunch {

struct ProbeResult {
    enum class Outcome {
        ready,    // the probe passed
        refused,  // nothing listens yet (tcp RST): cheap to ask again soon
        failed,   // anything else: a status not expected, a timeout, an exit status
        aborted,  // abort_fd became readable
    };
    Outcome outcome = Outcome::failed;
    std::string text;  // "200", "connection refused", "exit status 1", "timed out after 2.0 s"
};

class Probe {
public:
    virtual ~Probe() = default;
    // One try, at most `budget` long.
    virtual ProbeResult run(std::chrono::milliseconds budget, int abort_fd) = 0;
    // For tcp/http/https: does the port refuse connections right now? Cheap
    // (sock_diag for this host's addresses, else a connect), so the watcher
    // asks this often while the program starts and runs the whole probe once
    // it accepts.
    [[nodiscard]] virtual bool has_port() const { return false; }
    virtual ProbeResult connect_only(std::chrono::milliseconds budget, int abort_fd);
};

// The request an http:// probe sends: GET of the probe's path, Host, and
// basic auth when `user` is set (RFC 7617: base64 of "user:password").
[[nodiscard]] std::string http_request(const ReadyProbe& probe, const std::optional<std::string>& user,
                                       const std::string& password);
[[nodiscard]] std::string base64(std::string_view bytes);

// What the bytes of an answer received so far say: not enough yet, the
// final status (1xx interim answers skipped), or not HTTP/1.x at all.
struct HttpStatus {
    enum class State { incomplete, status, malformed };
    State state = State::incomplete;
    int code = 0;
    std::string problem;  // malformed: what was received, for STATUS=
};
[[nodiscard]] HttpStatus parse_http_status(std::string_view received);

// The probe for `options`; exec: probes run with `exec_environment`. Fails
// (with a message) when a file it needs cannot be read: ready_password_file.
[[nodiscard]] Expected<std::unique_ptr<Probe>, std::string> make_probe(const WatchOptions& options,
                                                                       std::vector<std::string> exec_environment);

}  // namespace eslaunch
