// Compiles every example program (and the PFP-style fixtures) with the real clang for the BPF
// target, for the oldest (-mcpu=v1) and the JMP32/ALU32 (-mcpu=v3) instruction sets, and checks
// the object files with llvm-objdump: program section, entry symbol, data sections, relocations
// and the helper calls each example is documented to make. Running them is libs/vm's business.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const programsDir = fileURLToPath(new URL('../../', import.meta.url));
const includeDir = join(programsDir, 'include');
const examplesDir = join(programsDir, 'examples');
const fixturesDir = join(programsDir, 'test', 'fixtures');
const cpus = ['v1', 'v3'] as const;

interface Expectation {
  /** ELF section holding the entry function. */
  section: string;
  /** Entry function symbol. */
  entry: string;
  /** Helper numbers that must appear as `call N`. */
  calls: number[];
  /** Other sections that must exist (data, maps). */
  sections?: string[];
  /** `TYPE VALUE` pairs that must appear in the relocations of the program section. */
  relocations?: Array<[string, string]>;
}

const examples: Record<string, Expectation> = {
  'magic_token.c': { section: 'cf_ebpf_generic', entry: 'cf_ebpf_main', calls: [] },
  'challenge.c': { section: 'flowshield', entry: 'cf_ebpf_main', calls: [11, 12, 64, 65, 66] },
  'rate_limit.c': { section: 'flowshield', entry: 'cf_ebpf_main', calls: [11, 66, 67] },
  'cookie.c': { section: 'flowshield', entry: 'cf_ebpf_main', calls: [8, 11, 12, 66, 68] },
  'tail_check.c': { section: 'socket', entry: 'tail_check', calls: [26] },
  'pfp_example.c': {
    section: '.text',
    entry: 'cf_ebpf_main',
    calls: [1, 2, 3, 10, 11, 12, 13, 14],
    sections: ['.rodata'],
    relocations: [['R_BPF_64_64', '.rodata']],
  },
  'a2s_query.c': { section: 'flowshield', entry: 'cf_ebpf_main', calls: [2, 8, 10, 11, 12, 66, 67] },
  'raknet_ping.c': { section: '.text', entry: 'cf_ebpf_main', calls: [2, 13, 14] },
  'voip.c': {
    section: 'cf_ebpf_generic',
    entry: 'cf_ebpf_main',
    calls: [15, 16],
    sections: ['.rodata'],
    relocations: [['R_BPF_64_64', '.rodata']],
  },
  'wireguard.c': { section: 'flowshield', entry: 'cf_ebpf_main', calls: [66, 67] },
  'xdp_flood_guard.c': {
    section: 'xdp',
    entry: 'xdp_flood_guard',
    calls: [1, 2, 5],
    sections: ['.maps', 'license'],
    relocations: [['R_BPF_64_64', 'sources']],
  },
};

// Every fixture is listed; libs/vm's pfp-headers test runs them (and the examples) on both engines.
const fixtures: Record<string, Expectation> = {
  'linux_xdp_style.c': {
    section: 'xdp',
    entry: 'count_udp',
    calls: [1, 2, 7],
    sections: ['maps', '.maps', 'license'],
    relocations: [['R_BPF_64_64', 'port_hits'], ['R_BPF_64_64', 'total']],
  },
  'pfp_analytics_tag.c': {
    section: '.text',
    entry: 'cf_ebpf_main',
    calls: [18],
  },
  'pfp_payload_entropy.c': {
    section: '.text',
    entry: 'cf_ebpf_main',
    calls: [17],
  },
  'pfp_window_counter.c': {
    section: '.text',
    entry: 'cf_ebpf_main',
    calls: [2, 3, 5, 7, 8, 13, 14, 15, 16, 17, 18],
    sections: ['.rodata'],
    relocations: [['R_BPF_64_64', '.rodata']],
  },
};

function compile(source: string, cpu: string, outDir: string): string {
  const out = join(outDir, `${source.split('/').pop()!.replace(/\.c$/, '')}-${cpu}.o`);
  execFileSync('clang', [
    // -nostdinc: the headers must not reach for any system header.
    '-target', 'bpf', '-O2', '-g', '-c', `-mcpu=${cpu}`, '-nostdinc',
    '-Wall', '-Wextra', '-Werror',
    '-I', includeDir, source, '-o', out,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  return out;
}

function objdump(args: string[], object: string): string {
  return execFileSync('llvm-objdump', [...args, object], { encoding: 'utf8' });
}

/** Section names from `llvm-objdump -h`. */
function sectionNames(object: string): Set<string> {
  const names = new Set<string>();
  for (const line of objdump(['-h'], object).split('\n')) {
    const m = /^\s*\d+\s+(\S+)\s+[0-9a-f]{8}\s/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Relocation `TYPE VALUE` pairs of one section, from `llvm-objdump -r`. */
function relocationsOf(object: string, section: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  let inSection = false;
  for (const line of objdump(['-r'], object).split('\n')) {
    const header = /^RELOCATION RECORDS FOR \[(.+)\]:/.exec(line);
    if (header) { inSection = header[1] === section; continue; }
    const m = /^[0-9a-f]{16}\s+(\S+)\s+(\S+)/.exec(line);
    if (inSection && m) found.push([m[1]!, m[2]!]);
  }
  return found;
}

/** Symbols defined as functions, with their section, from `llvm-objdump -t`. */
function functionSymbols(object: string): Map<string, string> {
  const symbols = new Map<string, string>();
  for (const line of objdump(['-t'], object).split('\n')) {
    const m = /^[0-9a-f]{16}\s.*\sF\s+(\S+)\s+[0-9a-f]{16}\s+(\S+)$/.exec(line);
    if (m) symbols.set(m[2]!, m[1]!);
  }
  return symbols;
}

function helperCalls(object: string): Set<number> {
  const calls = new Set<number>();
  for (const m of objdump(['-d'], object).matchAll(/\bcall (-?\d+)\b/g)) calls.add(Number(m[1]));
  return calls;
}

function check(dir: string, expectations: Record<string, Expectation>): void {
  const scratch = mkdtempSync(join(tmpdir(), 'flowshield-programs-'));
  try {
    for (const [file, want] of Object.entries(expectations)) {
      for (const cpu of cpus) {
        const object = compile(join(dir, file), cpu, scratch);
        const where = `${file} -mcpu=${cpu}`;
        const sections = sectionNames(object);
        assert.ok(sections.has(want.section), `${where}: section ${want.section} in ${[...sections]}`);
        for (const s of want.sections ?? []) assert.ok(sections.has(s), `${where}: section ${s}`);
        assert.equal(functionSymbols(object).get(want.entry), want.section, `${where}: entry ${want.entry}`);
        const calls = helperCalls(object);
        for (const n of want.calls) assert.ok(calls.has(n), `${where}: call ${n} in ${[...calls]}`);
        const relocs = relocationsOf(object, want.section);
        for (const [type, value] of want.relocations ?? []) {
          assert.ok(relocs.some(([t, v]) => t === type && v === value),
            `${where}: relocation ${type} ${value} in ${JSON.stringify(relocs)}`);
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

test('programs - every example and fixture is listed with its expectations', () => {
  const sources = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.c')).sort();
  assert.deepEqual(sources(examplesDir), Object.keys(examples).sort());
  assert.deepEqual(sources(fixturesDir), Object.keys(fixtures).sort());
});

test('programs - examples compile for -mcpu=v1 and v3 with the expected sections, entries, calls and relocations', () => {
  check(examplesDir, examples);
});

test('programs - PFP-style and Linux-style sources compile unmodified against flowshield headers', () => {
  check(fixturesDir, fixtures);
});

test('programs - headers are freestanding and can be included together', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowshield-programs-'));
  try {
    const source = join(scratch, 'all.c');
    const text = [
      '#define CF_EBPF_HELPER_V0',
      '#include <flowshield.h>',
      '#include <cf_ebpf_defs.h>',
      '#include <cf_ebpf_helper.h>',
      '#include <linux_compat.h>',
      '#include <flowshield.h>',
      '/* PFP documents the scratch field as both metadata and meta_data: both must work. */',
      'static __always_inline u64 scratch(struct cf_ebpf_generic_ctx *c) { c->meta_data = 7; return c->metadata; }',
      'SEC("flowshield") u64 cf_ebpf_main(struct fs_ctx *ctx) {',
      '  if (scratch((struct cf_ebpf_generic_ctx *)ctx) != 7) return FS_DROP;',
      '  struct fs_udp_view v;',
      '  if (fs_parse_udp(ctx, &v) != FS_PARSE_OK) return FS_DROP;',
      '  return v.dst_port == 53 ? FS_PASS : FS_DROP;',
      '}',
    ].join('\n');
    writeFileSync(source, text);
    execFileSync('clang', ['-target', 'bpf', '-O2', '-c', '-nostdinc', '-Wall', '-Wextra', '-Werror',
      '-I', includeDir, source, '-o', join(scratch, 'all.o')], { stdio: ['ignore', 'pipe', 'pipe'] });
    assert.ok(sectionNames(join(scratch, 'all.o')).has('flowshield'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
