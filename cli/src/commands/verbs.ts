import type { Command } from 'commander';

/**
 * Every verb of `flowshield`: what `flowshield --help` lists for it, and the module that registers
 * it. A run loads only its verb's module (and so only the libraries that verb uses: `--help` loads
 * none); `verbs.test.ts` checks the listing against what each module registers.
 */
export interface Verb {
  name: string;
  /** the verb as the listing names it: with [options] and its arguments */
  term: string;
  summary: string;
  load(): Promise<(program: Command) => void>;
}

export const VERBS: readonly Verb[] = [
  { name: 'keys', term: 'keys', summary: 'the challenge key ring (key ids and epochs, never key bytes) and the operator signing key', load: async () => (await import('./keys.js')).registerKeys },
  { name: 'access', term: 'access', summary: 'NATS users and permissions per role (operator, edge, state, challenge)', load: async () => (await import('./access.js')).registerAccess },
  { name: 'status', term: 'status [options] <ip>', summary: 'current status of a source IP, its expiry, and which event set it (reads the local replica; sources only challenged so far read NONE: first contacts stay on their edge)', load: async () => (await import('./status.js')).registerStatus },
  { name: 'events', term: 'events [options]', summary: 'the status event log, oldest first, filtered by IP, tenant, edge and HLC time', load: async () => (await import('./events.js')).registerEvents },
  { name: 'replay', term: 'replay [options]', summary: 'rebuild the state as of a time from the event log into a fresh LMDB replica, and print its digest', load: async () => (await import('./replay.js')).registerReplay },
  { name: 'state', term: 'state', summary: 'inspect a state replica', load: async () => (await import('./state.js')).registerState },
  { name: 'snapshot', term: 'snapshot', summary: 'replica snapshots in the NATS object store', load: async () => (await import('./snapshot.js')).registerSnapshot },
  { name: 'compile', term: 'compile [options] <source>', summary: 'compile a C program to eBPF (clang -target bpf -O2 -g, with programs/include on the include path)', load: async () => (await import('./compile.js')).registerCompile },
  { name: 'verify', term: 'verify [options] <program>', summary: 'load and verify a program: instruction count and helpers used, or the error with its instruction and source line', load: async () => (await import('./verify.js')).registerVerify },
  { name: 'asm', term: 'asm [options] <file>', summary: 'assemble bpf_conformance-syntax assembly into an ELF object (-o FILE.o or --elf) that verify, test and deploy load, or into instruction bytes', load: async () => (await import('./asm.js')).registerAsm },
  { name: 'disasm', term: 'disasm [options] <program>', summary: 'disassemble an eBPF object file (or raw instruction bytes) into bpf_conformance syntax', load: async () => (await import('./disasm.js')).registerDisasm },
  { name: 'test', term: 'test [options] <program> <capture>', summary: 'run a program over a packet capture (pcap or pcapng): per-packet verdicts, status changes, challenges, and a summary', load: async () => (await import('./test.js')).registerTest },
  { name: 'start', term: 'start [options]', summary: 'run the whole stack on this machine: nats-server, state and challenge services, an echo game server and an edge with the example program', load: async () => (await import('./start.js')).registerStart },
  { name: 'deploy', term: 'deploy [options] <program>', summary: "verify a program and make it the tenant's live version on every edge (NATS KV bucket fs-programs)", load: async () => (await import('./deploy.js')).registerDeploy },
  { name: 'rollback', term: 'rollback [options]', summary: 'make an earlier program version live again on every edge (from the history of NATS KV bucket fs-programs)', load: async () => (await import('./rollback.js')).registerRollback },
  { name: 'programs', term: 'programs [options]', summary: "list the live program version of each tenant, or one tenant's history (NATS KV bucket fs-programs)", load: async () => (await import('./programs.js')).registerPrograms },
  { name: 'rules', term: 'rules', summary: 'the firewall: ordered rules in a Wirefilter-style language (libs/rules/README.md)', load: async () => (await import('./rules.js')).registerRules },
  { name: 'lists', term: 'lists', summary: 'IP prefix lists for rules ($name), in the NATS object store', load: async () => (await import('./lists.js')).registerLists },
];
