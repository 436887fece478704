"""python -m minigrad.crosscheck {export,compare,verify,list} ... (docs/crosscheck.md)

Exit status: 0 all arrays agree, 1 some differ, 2 unusable input (missing arrays, shapes that
differ, not an export, bad options).
"""
import argparse
import sys

from . import UnusableFile, cases, compare, export, format_table, load, save, verify

GEOMETRY_OPTIONS = {"batch": "n", "in_channels": "c_in", "out_channels": "c_out", "channels": "c", "height": "h",
                    "width": "w", "kernel_size": "kernel", "stride": "stride", "padding": "padding",
                    "dilation": "dilation", "groups": "groups", "output_padding": "output_padding",
                    "ceil_mode": "ceil_mode"}


# argparse reports a ValueError from these as "argument --rtol: invalid tolerance value: 'nan'"
def tolerance(text):
    value = float(text)
    if not 0 <= value < float("inf"):  # nan compares false with everything, so it is refused too
        raise ValueError(text)
    return value


def int_at_least(least, name):
    """An argparse type for ints >= least; ``name`` is what argparse's message calls it."""
    def parse(text):
        value = int(text)
        if value < least:
            raise ValueError(text)
        return value
    parse.__name__ = name
    return parse


seed = int_at_least(0, "seed")
count = int_at_least(0, "count")  # a batch or a padding
size = int_at_least(1, "size")  # channels, height, width, kernel, stride, dilation, groups


def flag(text):  # ceil_mode: 0 or 1, as the geometry holds only ints
    if text not in ("0", "1"):
        raise ValueError(text)
    return int(text)


def file_path(text):
    """An argparse type for a file: not empty, as an unset shell variable gives ("cannot write : Is a
    directory" was the message)."""
    if not text:
        raise argparse.ArgumentTypeError("needs a path, got ''")
    return text


def option_name(option):
    return "--" + option.replace("_", "-")


def export_options(geometry):
    """A geometry as the export options that give it: {'n': 2, 'c_in': 3} -> '--batch 2 --in-channels 3'."""
    option_of = {key: option for option, key in GEOMETRY_OPTIONS.items()}
    return " ".join(f"{option_name(option_of[key])} {value}" for key, value in geometry.items())


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m minigrad.crosscheck", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write inputs, outputs and gradients of the reference")
    ex.add_argument("--layer", required=True, help="a registered layer (see: list)")
    ex.add_argument("--variant", help="the formula family, for layers that have several")
    for option in GEOMETRY_OPTIONS:
        ex.add_argument(option_name(option), type=flag if option == "ceil_mode" else
                        count if option in ("batch", "padding", "output_padding") else size,
                        help="default: the layer's (see: list)")
    ex.add_argument("--seed", type=seed, default=0,
                    help="seed of the drawn inputs and parameters")
    ex.add_argument("--out", required=True, type=file_path, help="the .npz file to write")
    cmp = sub.add_parser("compare", help="compare a result file with an export")
    cmp.add_argument("expected", type=file_path)
    cmp.add_argument("actual", type=file_path)
    cmp.add_argument("--rtol", type=tolerance, default=1e-7)
    cmp.add_argument("--atol", type=tolerance, default=1e-10)
    ver = sub.add_parser("verify", help="recompute an export with today's reference")
    ver.add_argument("file", type=file_path)
    ver.add_argument("--rtol", type=tolerance, default=1e-10)
    ver.add_argument("--atol", type=tolerance, default=1e-12)
    sub.add_parser("list", help="the registered layers, their variants and default geometry as export options")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    try:
        if args.command == "list":
            registry = cases()
            width = max(len(name) for name in registry)
            for case in registry.values():
                print(f"{case.name:<{width}} variants {', '.join(case.variants)} (default {case.variants[0]})"
                      if case.variants else f"{case.name:<{width}} no variants")
                print(f"{'':<{width}} defaults {export_options(case.defaults)}")
            return 0
        if args.command == "export":
            registry = cases()
            if args.layer not in registry:
                raise UnusableFile(f"unknown layer {args.layer!r}; registered: {sorted(registry)}")
            case = registry[args.layer]
            given = {option: key for option, key in GEOMETRY_OPTIONS.items() if getattr(args, option) is not None}
            unknown = [option_name(option) for option, key in given.items() if key not in case.defaults]
            if unknown:  # export's own message names the manifest's keys (c_in), not the options typed
                raise UnusableFile(f"layer {case.name} takes no {', '.join(unknown)}; its options, with their "
                                   f"defaults: {export_options(case.defaults)}")
            geometry = {key: getattr(args, option) for option, key in given.items()}
            arrays, manifest = export(case, geometry, args.variant, args.seed)
            save(args.out, arrays, manifest)
            print(f"wrote {args.out}: {manifest['layer']} {manifest['variant'] or ''} {manifest['geometry']}")
            return 0
        if args.command == "compare":
            expected, manifest = load(args.expected)
            actual, _ = load(args.actual, need_manifest=False)
            rows = compare({k: expected[k] for k in manifest["outputs"]}, actual, args.rtol, args.atol)
        else:
            rows = verify(args.file, args.rtol, args.atol)
    except (UnusableFile, ValueError, MemoryError) as e:  # numpy names the size it could not allocate
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # an output that cannot be written
        print(f"error: {e.strerror or e}", file=sys.stderr)
        return 2
    print(format_table(rows))
    bad = [r.name for r in rows if not r.ok]
    print(f"{len(rows) - len(bad)} of {len(rows)} arrays agree" + (f"; differ: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
