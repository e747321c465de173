// The firewall (issue 13): scheme, lexer, parser, type check, compiler to closures, rule sets
// with modes, scopes and counters, prefix lists, and the firewall step the edge and the CLI share. No I/O.
export { RulesError, ExpressionError, RulesErrorCode, isRulesError, lineColumn } from './errors.js';
export { FIELDS, FUNCTIONS, PROTOCOL_NUMBERS, IntSlot, ByteBase, BIT_SLICE_MAX_WIDTH, BIT_SLICE_MAX_OFFSET } from './scheme.js';
export type { FieldDef, ValueType, FunctionName } from './scheme.js';
export type { Expr, ValueExpr, Literal, Span, LogicalOp, ComparisonOp, OrderingOp } from './ast.js';
export { walk } from './ast.js';
export { Lexer } from './lexer.js';
export { parseExpression, DEFAULT_PARSER_SETTINGS } from './parser.js';
export type { ParserSettings } from './parser.js';
export { compileExpr } from './compile.js';
export type { Predicate, BpfHost, CompileEnv } from './compile.js';
export { PacketView, ViewRefusal, VIEW_REFUSAL_NAMES } from './packet-view.js';
export { parsePrefix, parseIpv4, parseIpv6, formatPrefix } from './ip.js';
export type { Prefix } from './ip.js';
export { PrefixList, PrefixListBuilder } from './prefix-list.js';
export type { BuiltPrefixList } from './prefix-list.js';
export { parsePrefixListText, parsePrefixListJson, prefixListFromFile, prefixListToFile } from './list-file.js';
export { ACTIONS, MODES, TERMINATING, MAX_RULES, RULE_ID, LIST_NAME, parseRulesFile, selectScope } from './rules-file.js';
export type { Action, Mode, RuleSpec, RulesFile } from './rules-file.js';
export { RuleSet, compileRules, parseRules, ruleReferences } from './rule-set.js';
export type { CompiledRule, RuleCounter, CompileOptions, RuleReferences } from './rule-set.js';
export { Firewall, FirewallStep, socketFilterHost } from './firewall.js';
export type { SocketFilter } from './firewall.js';
