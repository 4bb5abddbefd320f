#!/usr/bin/env python3
"""Fails if a layer includes a header from a layer above it (DESIGN.md).

CMake already refuses an upward target_link_libraries; this catches an
upward #include that happens to compile through a transitive include path.
"""
import pathlib
import re
import sys

LAYERS = ["common", "proto", "config", "compression", "crypto", "persistence",
          "consensus", "loadbalance", "discovery", "inference", "node"]
# Which layers each layer may include (itself included), from DESIGN.md.
ALLOWED = {
    "common": {"common"},
    "proto": {"proto"},
    "config": {"config", "common"},
    "compression": {"compression", "common"},
    "crypto": {"crypto", "common", "proto"},
    "persistence": {"persistence", "common", "proto"},
    "consensus": {"consensus", "common", "proto"},
    "loadbalance": {"loadbalance", "common"},
    "discovery": {"discovery", "config", "common", "proto"},
    "inference": {"inference", "config", "common", "proto"},
    "node": set(LAYERS),
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    errors = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*")):
            if path.suffix not in {".h", ".cc", ".hpp", ".cpp"}:
                continue
            for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if m and m.group(1) in ALLOWED and m.group(1) not in ALLOWED[layer]:
                    errors.append(f"{path.relative_to(root)}:{lineno}: layer '{layer}' "
                                  f"may not include '{m.group(1)}/'")
    for e in errors:
        print(e)
    print(f"layering: {len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
