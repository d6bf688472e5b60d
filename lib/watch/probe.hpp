// The readiness probes of eslaunch-watch: tcp://, http:// (one HTTP/1.1 GET,
// written here), https:// (libcurl, dlopen()ed in a child for each try),
// exec:. Watcher only: the root-run shim never links this.
//
// Every try is bounded in time, and gives up at once when `abort_fd` becomes
// readable (the program's pidfd: the program died, nothing left to probe).
#pragma once

#include <chrono>
#include <cstddef>
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
// final status (1xx interim answers skipped), or not HTTP/1.x at all (or
// over a cap of HttpHeadReader).
struct HttpStatus {
    enum class State { incomplete, status, malformed };
    State state = State::incomplete;
    int code = 0;         // status: 100-599, never an interim code (101 is final)
    std::string problem;  // malformed: what was received, for STATUS=
};

// Reads the head of an HTTP/1.x answer as it arrives, in pieces of any size,
// at constant work and memory per byte: an interim answer's block is dropped
// as it is read, and of a status line only its first bytes are kept. Lines
// end with LF, a CR before it ignored (RFC 9112, 2.2). The verdict depends
// on the bytes alone, not on how they were split (tests/fuzz/fuzz_http.cpp),
// except how much of a line that is not HTTP the problem shows.
class HttpHeadReader {
public:
    // A status line with its fields is a few hundred bytes (Elasticsearch
    // refuses request heads over 8 KiB); a server sends at most one or two
    // interim answers (103, or 100 to an Expect: the probe never sends).
    static constexpr std::size_t default_max_block = 16 * 1024;
    static constexpr std::size_t default_max_head = 64 * 1024;
    // Fails on a header block (a status line and its fields) longer than
    // max_block, and on more than max_head bytes before the final status.
    explicit HttpHeadReader(std::size_t max_block = default_max_block, std::size_t max_head = default_max_head);

    // Reads the next bytes; once decided, the rest is not looked at.
    const HttpStatus& feed(std::string_view bytes);
    [[nodiscard]] const HttpStatus& verdict() const { return verdict_; }
    [[nodiscard]] std::size_t bytes_read() const { return total_; }  // up to the byte that decided
    [[nodiscard]] std::size_t interim_answers() const { return interim_; }

private:
    void status_line_byte(char c, std::string_view rest);
    void status_line_end();
    void field_byte(char c);
    void fail(std::string problem);
    void not_http(std::string_view rest);

    std::size_t max_block_;
    std::size_t max_head_;
    HttpStatus verdict_;
    bool in_status_line_ = true;
    std::size_t total_ = 0;  // bytes read
    std::size_t block_ = 0;  // bytes of the current block
    std::size_t line_ = 0;   // bytes of the current line, before its LF
    char prev_ = '\0';       // the byte before this one in the line
    std::size_t interim_ = 0;
    int interim_code_ = 0;  // of the interim answer being read
    static constexpr std::size_t shown_bytes = 40;
    char kept_[shown_bytes] = {};  // the current status line's first bytes
};

// One whole answer head (or its start): what HttpHeadReader says of it.
[[nodiscard]] HttpStatus parse_http_status(std::string_view received);

// The probe for `options`; exec: probes run with `exec_environment`. Fails
// (with a message) when a file it needs cannot be read: ready_password_file.
[[nodiscard]] Expected<std::unique_ptr<Probe>, std::string> make_probe(const WatchOptions& options,
                                                                       std::vector<std::string> exec_environment);

}  // namespace eslaunch
