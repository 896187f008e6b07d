/**
 * A small typed flag parser on top of node:util parseArgs.
 *
 * A command declares its flags once; keys are camelCase and the flags are
 * their kebab-case forms (`batchSize` -> `--batch-size`). Every command also
 * gets `--json`, `--verbose` and `--help`. Booleans accept `--no-<flag>`. Mistakes (unknown
 * flag, missing value, bad number, value outside `choices`) throw a UserError
 * that names the flag and what would have been valid.
 *
 *   const SPEC = {
 *     command: 'train',
 *     summary: 'train a model',
 *     flags: {
 *       epochs: { type: 'number', default: 10, integer: true, min: 1, description: 'training epochs' },
 *       backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend' },
 *     },
 *   } as const satisfies CommandSpec;
 *   const f = parseCommandFlags(argv, SPEC); // null after printing --help
 *   if (!f) return;
 *   f.epochs; // number
 *   f.backend; // 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'
 */
import { parseArgs } from 'node:util';
import { UserError, oneOf } from './errors.js';
import { setVerbose } from './verbose.js';

interface FlagBase {
  /** One line for --help. */
  description?: string;
  /** Missing -> UserError (only meaningful without a default). */
  required?: boolean;
}
export interface StringFlag extends FlagBase {
  type: 'string';
  default?: string;
  choices?: readonly string[];
  /** Placeholder in --help, e.g. 'path'. */
  valueName?: string;
  /** May be given several times: the value is the list, in order ([] when absent). */
  multiple?: boolean;
}
export interface NumberFlag extends FlagBase {
  type: 'number';
  default?: number;
  choices?: readonly number[];
  integer?: boolean;
  min?: number;
  max?: number;
  valueName?: string;
}
export interface BooleanFlag extends FlagBase {
  type: 'boolean';
  default?: boolean;
}
export type FlagSpec = StringFlag | NumberFlag | BooleanFlag;

export interface CommandSpec {
  /** Command name, for messages and --help ("vanillabench <command>"). */
  command: string;
  summary?: string;
  /** Positional arguments in --help, e.g. '<model> [more models...]'. */
  positionals?: string;
  /** Bounds on the number of positional arguments (default: none allowed). */
  minPositionals?: number;
  maxPositionals?: number;
  flags: Readonly<Record<string, FlagSpec>>;
}

type ValueOf<F> = F extends { type: 'boolean' }
  ? boolean
  : F extends { type: 'number' }
    ? WithDefault<F, F extends { choices: readonly (infer C)[] } ? C : number>
    : F extends { type: 'string'; multiple: true }
      ? string[]
      : F extends { type: 'string' }
        ? WithDefault<F, F extends { choices: readonly (infer C)[] } ? C : string>
        : never;
type WithDefault<F, T> = F extends { default: unknown } ? T : F extends { required: true } ? T : T | undefined;

/** The parsed values: one typed property per flag, plus json, help and positionals. */
export type ParsedFlags<S extends CommandSpec> = {
  -readonly [K in keyof S['flags']]: ValueOf<S['flags'][K]>;
} & { json: boolean; help: boolean; positionals: string[] } & ('verbose' extends keyof S['flags'] ? unknown : { verbose: boolean });

const BUILTIN: Record<string, BooleanFlag> = {
  json: { type: 'boolean', default: false, description: 'print the result as one JSON document on stdout' },
  verbose: { type: 'boolean', default: false, description: "say how the backend was chosen: every backend tried, Dawn's own output" },
  help: { type: 'boolean', default: false, description: 'show this help' },
};

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function allFlags(spec: CommandSpec): [string, FlagSpec][] {
  for (const key of ['json', 'help', 'positionals']) {
    if (key in spec.flags) throw new Error(`flag spec of '${spec.command}' may not declare '${key}' (built in)`);
  }
  // --verbose is built in unless a command words it itself
  return [...Object.entries(spec.flags), ...Object.entries(BUILTIN).filter(([key]) => !(key in spec.flags))];
}

function validFlagList(spec: CommandSpec): string {
  return allFlags(spec)
    .map(([key]) => `--${kebab(key)}`)
    .join(', ');
}

/** Parses `argv` (the arguments after the command name) against `spec`; never prints. */
export function parseFlags<const S extends CommandSpec>(argv: readonly string[], spec: S): ParsedFlags<S> {
  const flags = allFlags(spec);
  const byName = new Map<string, { key: string; flag: FlagSpec; negated: boolean }>();
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [key, flag] of flags) {
    const name = kebab(key);
    byName.set(name, { key, flag, negated: false });
    options[name] = { type: flag.type === 'boolean' ? 'boolean' : 'string' };
    if (flag.type === 'boolean') {
      byName.set(`no-${name}`, { key, flag, negated: true });
      options[`no-${name}`] = { type: 'boolean' };
    }
  }
  // Non-strict so that we, not parseArgs, word the errors; tokens carry all we need.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });

  const out: Record<string, unknown> = {};
  const positionals: string[] = [];
  const where = `for '${spec.command}'`;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    // No short flags, except -h for --help.
    const entry = token.rawName === '-h' ? byName.get('help') : token.rawName.startsWith('--') ? byName.get(token.name) : undefined;
    if (!entry) {
      throw new UserError(`unknown flag ${token.rawName} ${where}; valid flags: ${validFlagList(spec)}`);
    }
    const { key, flag, negated } = entry;
    const rawName = `--${kebab(key)}`;
    if (flag.type === 'boolean') {
      if (token.value !== undefined) {
        throw new UserError(`${token.rawName} takes no value (got '${token.value}')`);
      }
      out[key] = !negated;
      continue;
    }
    const value = token.value;
    const looksLikeFlag = value !== undefined && !token.inlineValue && value.startsWith('-') && !(flag.type === 'number' && isNumeric(value));
    if (value === undefined || looksLikeFlag) {
      throw new UserError(
        `${rawName} needs a value${describeValues(flag)}` + (looksLikeFlag ? ` (write ${rawName}=${value} for a value that starts with '-')` : ''),
      );
    }
    if (flag.type === 'string' && flag.multiple) out[key] = [...((out[key] as string[] | undefined) ?? []), toString(rawName, value, flag)];
    else out[key] = flag.type === 'number' ? toNumber(rawName, value, flag) : toString(rawName, value, flag);
  }

  for (const [key, flag] of flags) {
    if (out[key] !== undefined) continue;
    if (flag.type === 'string' && flag.multiple) out[key] = [];
    else if (flag.default !== undefined) out[key] = flag.default;
    else if (flag.required && !out.help) throw new UserError(`--${kebab(key)} is required${describeValues(flag)}`);
  }

  if (!out.help) {
    const min = spec.minPositionals ?? 0;
    const max = spec.maxPositionals ?? (spec.positionals ? Infinity : 0);
    if (positionals.length > max) {
      throw new UserError(
        max === 0
          ? `unexpected argument '${positionals[0]}' ${where} (it takes flags only: ${validFlagList(spec)})`
          : `too many arguments ${where}: expected ${spec.positionals ?? `at most ${max}`}`,
      );
    }
    if (positionals.length < min) {
      throw new UserError(`missing argument ${where}: expected ${spec.positionals ?? `at least ${min}`}`);
    }
  }
  return { ...out, positionals } as ParsedFlags<S>;
}

/**
 * parseFlags, except that --help prints the command's help on stdout and
 * returns null (the command then just returns), and --verbose turns on
 * verbose mode (./verbose.ts) for the command and the processes it starts.
 */
export function parseCommandFlags<const S extends CommandSpec>(argv: readonly string[], spec: S): ParsedFlags<S> | null {
  const parsed = parseFlags(argv, spec);
  if (parsed.verbose) setVerbose(true);
  if (!parsed.help) return parsed;
  process.stdout.write(formatHelp(spec));
  return null;
}

const isNumeric = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

function toNumber(name: string, raw: string, flag: NumberFlag): number {
  const n = Number(raw);
  const bad = (why: string): never => {
    throw new UserError(`${name} ${why}, got '${raw}'${flag.choices ? describeValues(flag) : ''}`);
  };
  if (!isNumeric(raw)) bad(flag.integer ? 'must be an integer' : 'must be a number');
  if (flag.integer && !Number.isInteger(n)) bad('must be an integer');
  if (flag.min !== undefined && n < flag.min) bad(`must be at least ${flag.min}`);
  if (flag.max !== undefined && n > flag.max) bad(`must be at most ${flag.max}`);
  if (flag.choices && !flag.choices.includes(n)) bad('must be one of the allowed values');
  return n;
}

function toString(name: string, raw: string, flag: StringFlag): string {
  if (flag.choices && !flag.choices.includes(raw)) {
    throw new UserError(`${name} must be ${oneOf(flag.choices.map(String))}, got '${raw}'`);
  }
  return raw;
}

function describeValues(flag: FlagSpec): string {
  if (flag.type === 'boolean') return '';
  if (flag.choices) return `: ${oneOf(flag.choices.map(String))}`;
  return '';
}

/** The --help text of a command (ends with a newline). */
export function formatHelp(spec: CommandSpec, program = 'vanillabench'): string {
  const rows = allFlags(spec).map(([key, flag]) => {
    const name = `--${kebab(key)}`;
    const value =
      flag.type === 'boolean' ? '' : flag.choices ? ` <${flag.choices.join('|')}>` : ` <${flag.valueName ?? (flag.type === 'number' ? 'n' : 'value')}>`;
    const notes: string[] = [];
    if (flag.type === 'boolean' && flag.default === true) notes.push(`on by default; --no-${kebab(key)} turns it off`);
    else if (flag.type !== 'boolean' && flag.default !== undefined) notes.push(`default ${flag.default}`);
    if (flag.required) notes.push('required');
    if (flag.type === 'string' && flag.multiple) notes.push('repeatable');
    const text = [flag.description, notes.length ? `(${notes.join(', ')})` : ''].filter(Boolean).join(' ');
    return [`${name}${value}`, text] as const;
  });
  const width = Math.min(32, Math.max(...rows.map(([left]) => left.length)) + 2);
  const lines = [
    `Usage: ${program} ${spec.command} [flags]${spec.positionals ? ` ${spec.positionals}` : ''}`,
    ...(spec.summary ? ['', spec.summary] : []),
    '',
    'Flags:',
    ...rows.map(([left, text]) => (left.length + 2 > width ? `  ${left}\n  ${' '.repeat(width)}${text}` : `  ${left.padEnd(width)}${text}`).trimEnd()),
  ];
  return `${lines.join('\n')}\n`;
}
