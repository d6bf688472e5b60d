// libFuzzer target for the http:// probe's reader of an answer's head
// (HttpHeadReader, probe.hpp): what a peer on the probe port sends, which
// may be anyone who bound the port first (tests/fuzz/README.md).
//
// An input is those bytes. Each is read whole, one byte at a time, and in
// pieces whose sizes come from the input's own bytes, with the default caps
// and with small ones (an input under -max_len reaches those). The verdicts
// must agree, match a plain reference computed here over the whole input,
// and hold the invariants below; a failure prints what broke and aborts, so
// libFuzzer saves the input as a crash artifact.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "probe.hpp"

#include "fuzz_check.hpp"

namespace {

using eslaunch::HttpHeadReader;
using eslaunch::HttpStatus;
using State = HttpStatus::State;

using eslaunch_fuzz::fail;

constexpr std::string_view not_http_prefix = "not an HTTP/1.x response: \"";
constexpr std::size_t npos = std::string_view::npos;

struct Caps {
    std::size_t block;
    std::size_t head;
};
constexpr Caps default_caps{HttpHeadReader::default_max_block, HttpHeadReader::default_max_head};
// Small enough for 8 KiB inputs to cross both, in either order.
constexpr Caps small_caps{48, 160};

enum class Kind { none, not_http, block_cap, head_cap };

// What the reader must say, found plainly over the whole input: the byte
// that decides (`at` counts it), the code, the kind of problem.
struct Expected {
    State state = State::incomplete;
    int code = 0;
    Kind kind = Kind::none;
    std::size_t at = 0;
    std::size_t interim = 0;
};

// The status line's verdict, "HTTP/1.x NNN" then a space or the end (one CR
// before the LF dropped); 0 when it is not one.
int status_code(std::string_view line) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    auto digit = [&](std::size_t i) { return line[i] >= '0' && line[i] <= '9'; };
    if (line.size() < 12 || !line.starts_with("HTTP/1.") || !digit(7) || line[8] != ' ' || !digit(9) ||
        !digit(10) || !digit(11) || (line.size() > 12 && line[12] != ' ')) {
        return 0;
    }
    const int code = std::stoi(std::string{line.substr(9, 3)});
    return code >= 100 && code <= 599 ? code : 0;
}

// The LF that ends an interim answer's fields (the first empty line after
// `from`), or npos.
std::size_t fields_end(std::string_view in, std::size_t from) {
    for (std::size_t pos = from;;) {
        const std::size_t lf = in.find('\n', pos);
        if (lf == npos) return npos;
        const std::string_view line = in.substr(pos, lf - pos);
        if (line.empty() || line == "\r") return lf;
        pos = lf + 1;
    }
}

// Of the places where something may decide, the first one wins; on a tie the
// head cap, then the block cap, then the byte itself (the reader's order).
Expected reference(std::string_view in, Caps caps) {
    Expected e;
    auto decide = [&](std::size_t index, State state, Kind kind) {
        e.state = state;
        e.kind = kind;
        e.at = index + 1;
        return e;
    };
    auto undecided = [&] {
        e.at = in.size();
        return e;
    };
    for (std::size_t block = 0;;) {
        const std::size_t block_cap = block + caps.block;
        const std::size_t lf = in.find('\n', block);
        std::size_t mismatch = npos;
        for (std::size_t i = block; i < std::min({block + 5, in.size(), lf}) && mismatch == npos; ++i) {
            if (in[i] != "HTTP/"[i - block]) mismatch = i;
        }
        const std::size_t first = std::min({lf, mismatch, block_cap, caps.head});
        if (first >= in.size()) return undecided();
        if (first == caps.head) return decide(first, State::malformed, Kind::head_cap);
        if (first == block_cap || first == mismatch) return decide(first, State::malformed, Kind::not_http);
        const int code = status_code(in.substr(block, lf - block));
        if (code == 0) return decide(lf, State::malformed, Kind::not_http);
        if (code >= 200 || code == 101) {
            e.code = code;
            return decide(lf, State::status, Kind::none);
        }
        const std::size_t end = std::min({fields_end(in, lf + 1), block_cap, caps.head});
        if (end >= in.size()) return undecided();
        if (end == caps.head) return decide(end, State::malformed, Kind::head_cap);
        if (end == block_cap) return decide(end, State::malformed, Kind::block_cap);
        ++e.interim;
        block = end + 1;
    }
}

Kind kind_of(const HttpStatus& s) {
    if (s.state != State::malformed) return Kind::none;
    if (s.problem.starts_with(not_http_prefix)) return Kind::not_http;
    if (s.problem.find("in the head of an interim answer") != std::string::npos) return Kind::block_cap;
    if (s.problem.find("bytes of interim (1xx) answers") != std::string::npos) return Kind::head_cap;
    fail("a problem of no known kind", s.problem);
}

// The part of a not_http problem between its quotes: what the peer sent.
std::string_view shown(const HttpStatus& s) {
    std::string_view text = s.problem;
    text.remove_prefix(not_http_prefix.size());
    FUZZ_CHECK(text.ends_with('"'), s.problem);
    text.remove_suffix(1);
    return text;
}

void check_invariants(const HttpStatus& s, const HttpHeadReader& r, std::size_t size, Caps caps) {
    const std::string detail = s.problem + " (code " + std::to_string(s.code) + ")";
    if (s.state == State::status) {
        FUZZ_CHECK(s.code >= 100 && s.code <= 599 && (s.code >= 200 || s.code == 101), detail);
        FUZZ_CHECK(s.problem.empty(), detail);
    } else {
        FUZZ_CHECK(s.code == 0, detail);
    }
    if (s.state == State::incomplete) FUZZ_CHECK(r.bytes_read() == size && size <= caps.head, detail);
    FUZZ_CHECK(r.bytes_read() <= std::min(size, caps.head + 1), detail);
    if (kind_of(s) == Kind::not_http) {
        const std::string_view text = shown(s);
        FUZZ_CHECK(text.size() <= 40, s.problem);
        FUZZ_CHECK(std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; }), s.problem);
    }
}

// Pieces of 1 to 64 bytes, each as long as its first byte says.
std::vector<std::string_view> own_pieces(std::string_view in) {
    std::vector<std::string_view> pieces;
    for (std::size_t at = 0; at < in.size();) {
        const std::size_t n = std::min<std::size_t>(1 + static_cast<unsigned char>(in[at]) % 64, in.size() - at);
        pieces.push_back(in.substr(at, n));
        at += n;
    }
    return pieces;
}

std::vector<std::string_view> single_bytes(std::string_view in) {
    std::vector<std::string_view> pieces;
    for (std::size_t at = 0; at < in.size(); ++at) pieces.push_back(in.substr(at, 1));
    return pieces;
}

// The reader fed `pieces` in turn, then more bytes, which must change nothing.
HttpHeadReader read_in(const std::vector<std::string_view>& pieces, Caps caps) {
    HttpHeadReader r{caps.block, caps.head};
    for (std::string_view piece : pieces) r.feed(piece);
    if (r.verdict().state != State::incomplete) {
        const HttpStatus before = r.verdict();
        const std::size_t read = r.bytes_read();
        r.feed("HTTP/1.1 200 OK\r\n");
        FUZZ_CHECK(r.verdict().state == before.state && r.verdict().code == before.code &&
                       r.verdict().problem == before.problem && r.bytes_read() == read,
                   "bytes after the verdict changed it: " + before.problem);
    }
    return r;
}

void same_verdict(const HttpHeadReader& whole, const HttpHeadReader& split, const char* how) {
    const HttpStatus& a = whole.verdict();
    const HttpStatus& b = split.verdict();
    const std::string detail = std::string{how} + ": \"" + a.problem + "\" against \"" + b.problem + "\"";
    FUZZ_CHECK(a.state == b.state && a.code == b.code && kind_of(a) == kind_of(b), detail);
    FUZZ_CHECK(whole.bytes_read() == split.bytes_read() && whole.interim_answers() == split.interim_answers(), detail);
    // Only how much of a line that is not HTTP is shown may differ: a piece
    // shows what it holds, never more than the whole input would.
    if (kind_of(a) == Kind::not_http) FUZZ_CHECK(shown(a).starts_with(shown(b)), detail);
    else FUZZ_CHECK(a.problem == b.problem, detail);
}

void fuzz_with(std::string_view in, Caps caps) {
    const HttpHeadReader whole = read_in({in}, caps);
    check_invariants(whole.verdict(), whole, in.size(), caps);
    const Expected e = reference(in, caps);
    const std::string detail = whole.verdict().problem + " (code " + std::to_string(whole.verdict().code) +
                               ", expected code " + std::to_string(e.code) + " after byte " + std::to_string(e.at) +
                               ")";
    FUZZ_CHECK(whole.verdict().state == e.state && whole.verdict().code == e.code, detail);
    FUZZ_CHECK(kind_of(whole.verdict()) == e.kind && whole.bytes_read() == e.at, detail);
    FUZZ_CHECK(whole.interim_answers() == e.interim, detail);
    for (const auto& [pieces, how] : {std::pair{single_bytes(in), "one byte at a time"},
                                      std::pair{own_pieces(in), "in the input's own pieces"}}) {
        const HttpHeadReader split = read_in(pieces, caps);
        check_invariants(split.verdict(), split, in.size(), caps);
        same_verdict(whole, split, how);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};
    fuzz_with(input, default_caps);
    fuzz_with(input, small_caps);
    const HttpStatus parsed = eslaunch::parse_http_status(input);
    const HttpHeadReader whole = read_in({input}, default_caps);
    FUZZ_CHECK(parsed.state == whole.verdict().state && parsed.code == whole.verdict().code &&
                   parsed.problem == whole.verdict().problem,
               "parse_http_status differs from the reader: " + parsed.problem);
    return 0;
}
