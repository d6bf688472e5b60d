// The root-run shim never constructs the standard iostream objects.
//
// yaml-cpp (linked in statically, for elasticsearch.yml) includes
// <iostream> in its sources, so each of its objects holds a static
// std::ios_base::Init, and with libstdc++ linked statically the first one
// builds cout, cin, cerr, clog and their wide twins, with the classic
// locale, at every start: about 50,000 instructions and 6 page faults of a
// launch of /bin/true (bench/RESULTS.md, "Notes on the launch goal"). No code in
// eslaunch uses them: it prints with stdio (fmt::print to FILE*), and
// `ld --trace-symbol=_ZSt4cout` (and cin, cerr, clog, wcout, wcerr) shows
// only libstdc++'s ios_init.o referring to them. The link
// (shim/meson.build) sends yaml-cpp's calls of Init's constructor and
// destructor here instead, so ios_init.o, and with it the stream objects,
// are not linked at all; tests/install/install_library.sh checks that
// eslaunch defines no std::cout, so a use of them fails there instead of
// crashing at run time. String streams and locales need none of this: they
// set up the locale themselves when first used.
extern "C" {
void __wrap__ZNSt8ios_base4InitC1Ev(void*) {}
void __wrap__ZNSt8ios_base4InitD1Ev(void*) {}
}
