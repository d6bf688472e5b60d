"""The peer: supervisord 4.2's own reading of a [program:x] section, as
`supervisord` does at start (options.ServerOptions.process_groups_from_parser
is the same path; this calls its parts directly so no daemon starts)."""
import sys

from supervisor.options import ServerOptions, UnhosedConfigParser

path = sys.argv[1]
options = ServerOptions()
options.configfile = path
options.here = __import__("os").path.dirname(__import__("os").path.abspath(path))
parser = UnhosedConfigParser()
parser.expansions = options.environ_expansions
parser.read(path)
for section in parser.sections():
    if section.startswith("program:"):
        for config in options.processes_from_section(parser, section, section.split(":", 1)[1]):
            print(config.name, config.command, sorted((config.environment or {}).items()))
