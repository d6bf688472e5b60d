// The readiness probes of eslaunch-watch: tcp://, http:// and https://
// (libcurl), exec:. Watcher only: the root-run shim never links this.
//
// Every try is bounded in time, and gives up at once when `abort_fd` becomes
// readable (the program's pidfd: the program died, nothing left to probe).
#pragma once

#include <chrono>
#include <memory>
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

// The probe for `options`; exec: probes run with `exec_environment`. Fails
// (with a message) when a file it needs cannot be read: ready_password_file.
[[nodiscard]] Expected<std::unique_ptr<Probe>, std::string> make_probe(const WatchOptions& options,
                                                                       std::vector<std::string> exec_environment);

}  // namespace eslaunch
