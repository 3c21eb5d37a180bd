#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks docs/evstream.yaml against include/uapi/linux/evstream.h.

The spec must first be a valid YNL spec: it is validated against the
JSON schema of its protocol level (Documentation/netlink/<protocol>.yaml)
as shipped with the Linux 6.12 sources, which make unit extracts into
build/ksrc-6.12.  Then the UAPI header is the source of truth.  Every
enum member of the header
(commands, the five attribute enums, evs_prio, evs_conn_state,
evs_close_reason) must appear in the YNL spec under the operation list,
attribute set or definition whose enum-name is that enum, with the name
the spec's name-prefix gives and the same numeric value; every
operation, attribute and enum entry of the spec must exist in the header.
Types and ranges written in the header's comments must match the spec,
and so must the wire constants, the family and multicast group names and
the *_MAX helpers; every reference inside the spec must resolve.
docs/netlink.md must have a table row for every command, notification,
setting and close reason, docs/proc.md must name every counter and gauge
of include/evstream/stats_names.h.

Prints TAP version 13; exit status 1 if anything failed.  Needs PyYAML
and jsonschema (Debian: python3-yaml, python3-jsonschema).

Usage: spec_check.py [--schema-dir DIR] [ROOT]
  ROOT: top of the tree (default: this file's ../..)
  DIR:  where the genetlink*.yaml schemas are (default:
        ROOT/build/ksrc-6.12/Documentation/netlink)
"""

import copy
import os
import re
import sys
import traceback

try:
    import yaml
except ImportError:
    yaml = None
try:
    import jsonschema
except ImportError:
    jsonschema = None

# The kernel whose schemas the spec is validated against.
SCHEMA_KERNEL = '6.12'
# Protocol levels of a generic netlink family (netlink-raw is for
# families of their own netlink protocol, not genetlink).
GENL_PROTOCOLS = ('genetlink', 'genetlink-c', 'genetlink-legacy')


def duplicate_keys(text):
    """Keys given twice in one mapping.  safe_load keeps the last one
    silently, so a spec with a key twice would mean something else to
    its author than to YNL."""
    dups = []
    todo = [yaml.compose(text, Loader=yaml.SafeLoader)]
    seen = set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in keys:
                        dups.append(f'line {k.start_mark.line + 1}: '
                                    f'{k.value!r} again')
                    keys.add(k.value)
                todo.append(v)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return sorted(dups)


def schema_errors(spec, schema):
    """Every place where spec breaks schema, as 'path: message'."""
    # The kernel's schemas name draft-07 as https://json-schema.org/
    # draft-07/schema, a spelling jsonschema does not know.
    if 'draft-07' in schema.get('$schema', ''):
        cls = jsonschema.Draft7Validator
    else:
        cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    out = []
    for e in sorted(cls(schema).iter_errors(spec),
                    key=lambda e: [(str(type(p)), p) for p in e.absolute_path]):
        path = '/'.join(str(p) for p in e.absolute_path) or '(top)'
        msg = e.message if len(e.message) <= 200 else e.message[:200] + '...'
        out.append(f'{path}: {msg}')
    return out


# ---------------------------------------------------------------------
# The UAPI header.

# Members that are helpers of the C enum, not protocol values.
def is_helper(name):
    return (name.startswith('__') or name.endswith('_MAX')
            or name.endswith('_NR') or '_FIRST' in name)


def is_filler(name):
    """UNSPEC and PAD: not required in the spec, checked if there."""
    return name.endswith('_UNSPEC') or name.endswith('_PAD')


def parse_header(text):
    """Returns (enums, defines): enums maps an enum's C name to a list of
    (member, value, comment); defines maps a macro to its value."""
    enums = {}
    for m in re.finditer(r'enum\s+(\w+)\s*\{(.*?)\};', text, re.S):
        body = m.group(2)
        members = []
        val = -1
        known = {}
        # Split into members, keeping the comment that follows each on
        # the same line.
        entries = []
        for em in re.finditer(r'\b([A-Z_][A-Z0-9_]*)\s*(=\s*([^,/\n]+))?\s*,',
                              body):
            # Skip matches inside comments.
            pre = body[:em.start()]
            if pre.count('/*') > pre.count('*/'):
                continue
            entries.append(em)
        for k, em in enumerate(entries):
            name = em.group(1)
            if em.group(3) is not None:
                expr = em.group(3).strip()
                if re.fullmatch(r'0x[0-9a-fA-F]+|\d+', expr):
                    val = int(expr, 0)
                elif expr in known:
                    val = known[expr]
                else:
                    raise ValueError(f'enum {m.group(1)}: cannot evaluate '
                                     f'{name} = {expr}')
            else:
                val += 1
            known[name] = val
            end = entries[k + 1].start() if k + 1 < len(entries) else len(body)
            tail = body[em.end():end]
            cm = re.match(r'[ \t]*/\*(.*?)\*/', tail, re.S)
            comment = ' '.join(cm.group(1).replace('*', ' ').split()) \
                if cm else ''
            members.append((name, val, comment))
        enums[m.group(1)] = members
    defines = {}
    for m in re.finditer(r'^#define\s+(\w+)\s+(.+?)\s*(?:/\*.*)?$', text, re.M):
        name, expr = m.group(1), m.group(2).strip()
        if re.fullmatch(r'0x[0-9a-fA-F]+|\d+', expr):
            defines[name] = int(expr, 0)
        elif re.fullmatch(r'"[^"]*"', expr):
            defines[name] = expr[1:-1]
        elif expr in defines:
            defines[name] = defines[expr]
        else:
            defines[name] = expr
    return enums, defines


# ---------------------------------------------------------------------
# Naming.

def c_upper(s):
    return s.upper().replace('-', '_')


def spec_name(prefix, cname):
    p = c_upper(prefix)
    if not cname.startswith(p):
        return None
    return cname[len(p):].lower().replace('_', '-')


# ---------------------------------------------------------------------
# TAP.

class Tap:
    def __init__(self):
        self.results = []

    def ok(self, cond, name, diag=None):
        self.results.append((bool(cond), name, diag))
        return cond

    def done(self):
        print('TAP version 13')
        print(f'1..{len(self.results)}')
        failed = 0
        for n, (good, name, diag) in enumerate(self.results, 1):
            print(f'{"ok" if good else "not ok"} {n} - {name}')
            if not good:
                failed += 1
                for d in (diag or []):
                    print(f'#   {d}')
        print(f'# {len(self.results) - failed} passed, {failed} failed')
        return 1 if failed else 0


TYPE_WORDS = ('u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64',
              'string', 'nest', 'binary', 'flag')


def comment_type(comment):
    m = re.match(r'(\w+)\b', comment)
    if m and m.group(1) in TYPE_WORDS:
        return m.group(1)
    return None


def comment_range(comment):
    """(min, max) from "A..B" or "A.." in a comment; None if absent."""
    m = re.search(r'(?<![\w.])(\d+)\.\.(\d*)(?![\w.])', comment)
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    args = argv[1:]
    schema_dir = None
    if args[:1] == ['--schema-dir'] and len(args) > 1:
        schema_dir, args = args[1], args[2:]
    if len(args) > 1 or (args and args[0].startswith('-')):
        print(__doc__.split('\n\n')[-1], file=sys.stderr)
        return 2
    root = args[0] if args else os.path.join(here, '..', '..')
    if schema_dir is None:
        schema_dir = os.path.join(root, 'build', f'ksrc-{SCHEMA_KERNEL}',
                                  'Documentation', 'netlink')
    tap = Tap()
    try:
        check(tap, root, schema_dir)
    except Exception:   # a spec or header this script cannot read
        tap.ok(False, 'spec_check ran to the end',
               traceback.format_exc().rstrip().split('\n'))
    return tap.done()


def check_schema(tap, spec, schema_dir):
    """The spec against the kernel's schema for its protocol level."""
    proto = spec.get('protocol')
    if not tap.ok(proto in GENL_PROTOCOLS,
                  f'protocol {proto!r} is a genetlink protocol level',
                  [f'protocol must be one of {", ".join(GENL_PROTOCOLS)}']):
        return
    path = os.path.join(schema_dir, f'{proto}.yaml')
    title = f'the spec validates against Linux {SCHEMA_KERNEL}\'s ' \
            f'Documentation/netlink/{proto}.yaml'
    if jsonschema is None:
        tap.ok(False, title, ['no jsonschema module: install '
                              'python3-jsonschema (scripts/deps.sh)'])
        return
    try:
        with open(path, encoding='utf-8') as f:
            schema = yaml.safe_load(f)
    except OSError as e:
        tap.ok(False, title, [str(e), f'make unit extracts the schemas '
                              f'from linux-source-{SCHEMA_KERNEL}'])
        return
    tap.ok(not (errs := schema_errors(spec, schema)), title, errs)
    if proto != 'genetlink-legacy':
        return
    # genetlink-legacy only for uns-admin-perm, which the genetlink-c
    # schema lacks: with that flag as admin-perm the spec must be valid
    # genetlink-c, so that no legacy-only key (struct, fixed-header,
    # directional ops ...) creeps in unnoticed.
    path = os.path.join(schema_dir, 'genetlink-c.yaml')
    title = 'but for uns-admin-perm the spec is genetlink-c'
    try:
        with open(path, encoding='utf-8') as f:
            schema = yaml.safe_load(f)
    except OSError as e:
        tap.ok(False, title, [str(e)])
        return
    as_c = copy.deepcopy(spec)
    as_c['protocol'] = 'genetlink-c'
    for op in (as_c.get('operations') or {}).get('list') or []:
        if isinstance(op, dict) and isinstance(op.get('flags'), list):
            op['flags'] = ['admin-perm' if f == 'uns-admin-perm' else f
                           for f in op['flags']]
    tap.ok(not (errs := schema_errors(as_c, schema)), title, errs)


def check(tap, root, schema_dir):
    paths = {
        'uapi': 'include/uapi/linux/evstream.h',
        'names': 'include/evstream/stats_names.h',
        'spec': 'docs/evstream.yaml',
        'netlink': 'docs/netlink.md',
        'proc': 'docs/proc.md',
    }
    src = {}
    for key, rel in paths.items():
        try:
            with open(os.path.join(root, rel), encoding='utf-8') as f:
                src[key] = f.read()
        except OSError as e:
            src[key] = None
            tap.ok(False, f'read {rel}', [str(e)])
    if src['uapi'] is None or src['spec'] is None:
        return

    if not tap.ok(yaml is not None, 'PyYAML is there',
                  ['no yaml module: install python3-yaml (scripts/deps.sh)']):
        return
    try:
        spec = yaml.safe_load(src['spec'])
        parsed = isinstance(spec, dict)
        diag = ['top level is not a mapping']
    except yaml.YAMLError as e:
        spec, parsed, diag = None, False, str(e).split('\n')
    tap.ok(parsed, f'{paths["spec"]} parses', diag)
    if not parsed:
        return
    dups = duplicate_keys(src['spec'])
    tap.ok(not dups, f'{paths["spec"]}: no key twice in a mapping', dups)
    check_schema(tap, spec, schema_dir)

    enums, defines = parse_header(src['uapi'])

    # Every spec item that stands for a C enum, by enum name: (kind,
    # label, name-prefix, entries) with entries a list of (spec name,
    # value, yaml entry).
    claimed = {}

    def numbered(items, start):
        out, val = [], start
        for it in items or []:
            if isinstance(it, str):
                it = {'name': it}
            if 'value' in it:
                val = it['value']
            out.append((it.get('name'), val, it))
            val += 1
        return out

    for d in spec.get('definitions') or []:
        if d.get('type') in ('enum', 'flags'):
            ename = d.get('enum-name') or d['name'].replace('-', '_')
            claimed.setdefault(ename, []).append(
                ('enum', d['name'], d.get('name-prefix', d['name'] + '-'),
                 numbered(d.get('entries'), d.get('value-start', 0))))
    sets = {}
    for s in spec.get('attribute-sets') or []:
        sets[s['name']] = s
        if 'subset-of' in s:
            continue
        ename = s.get('enum-name') or \
            f"{spec['name']}_{s['name']}_attrs".replace('-', '_')
        claimed.setdefault(ename, []).append(
            ('attribute set', s['name'], s.get('name-prefix', ''),
             numbered(s.get('attributes'), 1)))
    ops_yaml = spec.get('operations') or {}
    ops = numbered(ops_yaml.get('list'), 1)
    claimed.setdefault(ops_yaml.get('enum-name', ''), []).append(
        ('operations', 'list', ops_yaml.get('name-prefix', ''), ops))

    # Header -> spec: every enum claimed once, every member present.
    for ename, members in enums.items():
        items = claimed.get(ename, [])
        if not tap.ok(len(items) == 1,
                      f'enum {ename} is described once in the spec',
                      [f'{len(items)} spec items have enum-name {ename}']):
            continue
        kind, label, prefix, entries = items[0]
        by_name = {n: (v, y) for n, v, y in entries}
        for cname, val, comment in members:
            if is_helper(cname):
                continue
            sname = spec_name(prefix, cname)
            where = f'{kind} {label}' if kind != 'operations' else 'operations'
            title = f'{cname} = {val} is {where}: {sname}'
            if sname not in by_name:
                if is_filler(cname):
                    continue
                tap.ok(False, title,
                       [f'{cname} (enum {ename}) is missing from the spec: '
                        f'no "{sname}" in {where}'])
                continue
            sval, sy = by_name[sname]
            diag = []
            if sval != val:
                diag.append(f'spec gives {sname} the value {sval}, the header '
                            f'{val}: entries out of order or missing?')
            ctype = comment_type(comment)
            if kind == 'attribute set' and ctype and \
                    sy.get('type') != ctype:
                diag.append(f'type: header comment says {ctype}, spec '
                            f'says {sy.get("type")}')
            rng = comment_range(comment) if kind == 'attribute set' else None
            if rng:
                checks = sy.get('checks') or {}
                if checks.get('min', 0) != rng[0]:
                    diag.append(f'min: header comment says {rng[0]}, spec '
                                f'says {checks.get("min")}')
                if rng[1] is not None and checks.get('max') != rng[1]:
                    diag.append(f'max: header comment says {rng[1]}, spec '
                                f'says {checks.get("max")}')
            tap.ok(not diag, title, diag)

    # Spec -> header: every spec item claims a header enum, every entry
    # names a member that exists.
    for ename, items in claimed.items():
        for kind, label, prefix, entries in items:
            members = {c: v for c, v, _ in enums.get(ename, [])}
            if not tap.ok(ename in enums,
                          f'{kind} {label}: enum {ename} exists in the header',
                          [f'no enum {ename!r} in {paths["uapi"]}']):
                continue
            for sname, sval, _ in entries:
                cname = c_upper(prefix + (sname or ''))
                if cname in members:
                    continue   # checked above, from the header side
                tap.ok(False, f'{kind} {label}: {sname} exists in the header',
                       [f'spec has "{sname}" ({cname}) but enum {ename} '
                        f'has no such member'])

    # The helper names YNL renders with max-by-define: NAME_MAX is a
    # #define, __NAME_MAX the enum's last member.
    helpers = [('operations', spec.get('cmd-max-name'),
                spec.get('cmd-cnt-name'), ops_yaml.get('enum-name'))]
    for s in sets.values():
        if 'subset-of' not in s:
            helpers.append((f'attribute set {s["name"]}', s.get('attr-max-name'),
                            s.get('attr-cnt-name'), s.get('enum-name')))
    for label, max_name, cnt_name, ename in helpers:
        mx, cnt = c_upper(max_name or ''), c_upper(cnt_name or '')
        last = (enums.get(ename) or [(None, None, None)])[-1][0]
        tap.ok(mx in defines and cnt == last and spec.get('max-by-define'),
               f'{label}: {mx or "?"} and {cnt or "?"} as in the header',
               [f'header: last member of enum {ename} is {last}, '
                f'{mx} {"is" if mx in defines else "is not"} defined'])

    # Consts: the wire constants and EVS_LAT_BUCKETS, both ways.
    consts = {c_upper(d['name']): d.get('value')
              for d in spec.get('definitions') or []
              if d.get('type') == 'const'}
    want = {n: v for n, v in defines.items()
            if re.match(r'EVS_(WIRE_|LAT_BUCKETS)', n)}
    for n in sorted(set(want) | set(consts)):
        if n not in consts:
            tap.ok(False, f'const {n} is in the spec',
                   [f'#define {n} {want[n]} has no const in the spec'])
        elif n not in want:
            tap.ok(False, f'const {n} is in the header',
                   [f'spec const {n} has no #define in the header'])
        else:
            tap.ok(consts[n] == want[n], f'const {n} = {want[n]}',
                   [f'spec says {consts[n]}'])

    # Family name, version, multicast groups.
    fam = c_upper(spec.get('c-family-name', ''))
    tap.ok(defines.get(fam) == spec.get('name') and
           c_upper(spec.get('c-version-name', '')) in defines,
           f'family "{spec.get("name")}" is {fam}, version '
           f'{c_upper(spec.get("c-version-name", ""))}',
           [f'header: {fam} = {defines.get(fam)!r}'])
    groups = {}
    for g in (spec.get('mcast-groups') or {}).get('list') or []:
        groups[c_upper(g.get('c-define-name',
                             f'{spec["name"]}-mcgrp-{g["name"]}'))] = g['name']
    hgroups = {n: v for n, v in defines.items() if n.startswith('EVS_MCGRP_')}
    for n in sorted(set(groups) | set(hgroups)):
        tap.ok(groups.get(n) == hgroups.get(n) and n in groups,
               f'multicast group {n} = "{hgroups.get(n)}"',
               [f'spec: {groups.get(n)!r}, header: {hgroups.get(n)!r}'])

    # Internal references of the spec.
    enum_defs = {d['name'] for d in spec.get('definitions') or []
                 if d.get('type') in ('enum', 'flags')}
    ref_diag = []
    for s in sets.values():
        parent = sets.get(s.get('subset-of')) if 'subset-of' in s else s
        if parent is None:
            ref_diag.append(f'set {s["name"]}: subset of unknown set')
            continue
        pnames = {a['name'] for a in parent.get('attributes') or []}
        for a in s.get('attributes') or []:
            if a['name'] not in pnames:
                ref_diag.append(f'set {s["name"]}: {a["name"]} not in '
                                f'{parent["name"]}')
            if a.get('nested-attributes') and \
                    a['nested-attributes'] not in sets:
                ref_diag.append(f'{s["name"]}.{a["name"]}: unknown set '
                                f'{a["nested-attributes"]}')
            if a.get('enum') and a['enum'] not in enum_defs:
                ref_diag.append(f'{s["name"]}.{a["name"]}: unknown enum '
                                f'{a["enum"]}')
    op_by_name = {y.get('name'): y for _, _, y in ops}
    for _, _, op in ops:
        name = op.get('name')
        setname = op.get('attribute-set')
        if 'notify' in op:
            tgt = op_by_name.get(op['notify'])
            if tgt is None or not ('do' in tgt or 'dump' in tgt):
                ref_diag.append(f'{name}: notify names no do/dump operation')
                continue
            setname = tgt.get('attribute-set')
        if 'mcgrp' in op and op['mcgrp'] not in groups.values():
            ref_diag.append(f'{name}: unknown multicast group {op["mcgrp"]}')
        if ('notify' in op or 'event' in op) and 'mcgrp' not in op:
            ref_diag.append(f'{name}: notification without mcgrp')
        lists = []
        for mode in ('do', 'dump'):
            for d in ('request', 'reply'):
                lists.append((op.get(mode) or {}).get(d) or {})
        lists.append(op.get('event') or {})
        names = [a for lst in lists for a in lst.get('attributes') or []]
        if names and setname not in sets:
            ref_diag.append(f'{name}: unknown attribute-set {setname}')
            continue
        known = {a['name'] for a in (sets.get(setname) or {})
                 .get('attributes') or []}
        for a in names:
            if a not in known:
                ref_diag.append(f'{name}: attribute {a} not in set {setname}')
    tap.ok(not ref_diag, 'spec references (sets, enums, notify, mcgrp, '
           'operation attributes) resolve', ref_diag)

    # docs/netlink.md has a table row for every command (notifications
    # included), setting and close reason.
    if src['netlink'] is not None:
        md = src['netlink']
        for ename, pfx in (('evs_cmd', 'EVS_CMD_'), ('evs_cfg_attr',
                                                     'EVS_CFG_A_'),
                           ('evs_close_reason', 'EVS_CLOSE_')):
            for cname, _, _ in enums.get(ename, []):
                if is_helper(cname) or is_filler(cname):
                    continue
                short = cname[len(pfx):]
                # A table row that names it, short or in full.
                found = re.search(r'^\|.*`(?:%s)?%s`' % (pfx, short), md,
                                  re.M)
                tap.ok(found, f'{paths["netlink"]} documents {cname}',
                       [f'no table row with `{short}` in {paths["netlink"]}'])

    # docs/proc.md names every counter and gauge as /proc spells it.
    if src['proc'] is not None and src['names'] is not None:
        for fn in ('evs_counter_name', 'evs_gauge_name'):
            m = re.search(fn + r'\(int attr\)\s*\{(.*?)\n\}', src['names'],
                          re.S)
            names = re.findall(r'return "(\w+)";', m.group(1)) if m else []
            tap.ok(names, f'{paths["names"]}: {fn}() lists names',
                   ['could not read the names'])
            for n in names:
                tap.ok(re.search(r'`%s`' % n, src['proc']),
                       f'{paths["proc"]} documents {n}',
                       [f'no `{n}` in {paths["proc"]}'])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
