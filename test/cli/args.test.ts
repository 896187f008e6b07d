/**
 * The flag parser: typed values and defaults, the built-in --json/--verbose/--help,
 * and a UserError naming the flag and the valid alternatives for each mistake.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { COMMANDS } from '../../src/cli.js';
import { formatHelp, parseCommandFlags, parseFlags, type CommandSpec } from '../../src/util/args.js';
import { UserError } from '../../src/util/errors.js';
import { VERBOSE_ENV, isVerbose } from '../../src/util/verbose.js';

const SPEC = {
  command: 'train',
  summary: 'train a model',
  flags: {
    model: { type: 'string', choices: ['vanillanet-5', 'vanillanet-6'], required: true, description: 'model to train' },
    backend: { type: 'string', default: 'auto', choices: ['auto', 'wasm', 'cpu'] },
    epochs: { type: 'number', default: 10, integer: true, min: 1 },
    lr: { type: 'number', default: 0.01 },
    out: { type: 'string', valueName: 'path' },
    batchSize: { type: 'number', default: 32, choices: [16, 32, 64] },
    augment: { type: 'boolean', default: true },
    verbose: { type: 'boolean' },
  },
} as const satisfies CommandSpec;

/** The UserError message thrown by parseFlags(argv, spec). */
function errorOf(argv: string[], spec: CommandSpec = SPEC): string {
  try {
    parseFlags(argv, spec);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`parseFlags(${JSON.stringify(argv)}) did not throw`);
}

describe('parseFlags', () => {
  it('parses typed values, applies defaults and maps camelCase keys to kebab-case flags', () => {
    const f = parseFlags(['--model', 'vanillanet-6', '--epochs=3', '--lr', '1e-3', '--batch-size', '64', '--no-augment', '--json'], SPEC);
    expect(f).toEqual({
      model: 'vanillanet-6',
      backend: 'auto',
      epochs: 3,
      lr: 0.001,
      batchSize: 64,
      augment: false,
      json: true,
      help: false,
      positionals: [],
    });
    expect(f.out).toBeUndefined();
    expect(f.verbose).toBeUndefined();
    expectTypeOf(f.model).toEqualTypeOf<'vanillanet-5' | 'vanillanet-6'>();
    expectTypeOf(f.backend).toEqualTypeOf<'auto' | 'wasm' | 'cpu'>();
    expectTypeOf(f.epochs).toEqualTypeOf<number>();
    expectTypeOf(f.out).toEqualTypeOf<string | undefined>();
    expectTypeOf(f.augment).toEqualTypeOf<boolean>();
  });

  it('accepts negative numbers after a number flag, and --flag=-value for strings', () => {
    expect(parseFlags(['--model', 'vanillanet-5', '--lr', '-0.5'], SPEC).lr).toBe(-0.5);
    expect(parseFlags(['--model', 'vanillanet-5', '--out=-weird'], SPEC).out).toBe('-weird');
  });

  it('--help and -h parse even when required flags are missing', () => {
    expect(parseFlags(['--help'], SPEC).help).toBe(true);
    expect(parseFlags(['-h'], SPEC).help).toBe(true);
  });

  it("rejects an unknown flag, listing the command's valid flags", () => {
    const msg = errorOf(['--model', 'vanillanet-5', '--epoch', '3']);
    expect(msg).toContain('unknown flag --epoch');
    expect(msg).toContain("'train'");
    for (const flag of ['--model', '--epochs', '--batch-size', '--augment', '--json', '--help']) expect(msg).toContain(flag);
    expect(errorOf(['-x'])).toContain('unknown flag -x');
  });

  it('rejects a bad number, naming the flag', () => {
    expect(errorOf(['--model', 'vanillanet-5', '--epochs', 'ten'])).toBe("--epochs must be an integer, got 'ten'");
    expect(errorOf(['--model', 'vanillanet-5', '--epochs', '2.5'])).toBe("--epochs must be an integer, got '2.5'");
    expect(errorOf(['--model', 'vanillanet-5', '--epochs', '0'])).toBe("--epochs must be at least 1, got '0'");
    expect(errorOf(['--model', 'vanillanet-5', '--lr', ''])).toContain('--lr must be a number');
    expect(errorOf(['--model', 'vanillanet-5', '--batch-size', '48'])).toBe("--batch-size must be one of the allowed values, got '48': 16, 32 or 64");
  });

  it('rejects a value outside the allowed list, naming the valid values', () => {
    expect(errorOf(['--model', 'vanillanet-5', '--backend', 'gpu'])).toBe("--backend must be auto, wasm or cpu, got 'gpu'");
  });

  it('rejects missing values, values on booleans, missing required flags and stray arguments', () => {
    expect(errorOf(['--model'])).toBe('--model needs a value: vanillanet-5 or vanillanet-6');
    expect(errorOf(['--model', 'vanillanet-5', '--out', '--json'])).toContain('--out needs a value');
    expect(errorOf(['--model', 'vanillanet-5', '--json=yes'])).toBe("--json takes no value (got 'yes')");
    expect(errorOf([])).toBe('--model is required: vanillanet-5 or vanillanet-6');
    expect(errorOf(['--model', 'vanillanet-5', 'extra'])).toContain("unexpected argument 'extra'");
  });

  it('collects positionals within declared bounds', () => {
    const spec = { command: 'compare', positionals: '<result.json>...', minPositionals: 2, flags: {} } as const;
    expect(parseFlags(['a.json', 'b.json', '--json'], spec)).toEqual({ json: true, verbose: false, help: false, positionals: ['a.json', 'b.json'] });
    expect(errorOf(['a.json'], spec)).toBe("missing argument for 'compare': expected <result.json>...");
  });

  it('--verbose is built in (unless a command declares its own) and turns verbose mode on for the command and its children', () => {
    const spec = { command: 'zoo', flags: {} } as const;
    const before = process.env[VERBOSE_ENV];
    try {
      delete process.env[VERBOSE_ENV];
      expect(parseCommandFlags([], spec)!.verbose).toBe(false);
      expect(isVerbose()).toBe(false);
      expect(parseCommandFlags(['--verbose'], spec)!.verbose).toBe(true);
      expect(isVerbose()).toBe(true);
      expect(process.env[VERBOSE_ENV]).toBe('1');
      expect(formatHelp(spec)).toContain('--verbose');
      // the test spec above declares a verbose of its own, without a default
      expect(parseFlags(['--model', 'vanillanet-5'], SPEC).verbose).toBeUndefined();
    } finally {
      if (before === undefined) delete process.env[VERBOSE_ENV];
      else process.env[VERBOSE_ENV] = before;
    }
  });

  it('formats help with every flag, its values and default', () => {
    const help = formatHelp(SPEC);
    expect(help).toMatch(/^Usage: vanillabench train \[flags\]\n/);
    expect(help).toContain('--backend <auto|wasm|cpu>');
    expect(help).toContain('(default auto)');
    expect(help).toContain('--out <path>');
    expect(help).toContain('--no-augment');
    expect(help).toContain('--json');
    expect(help.endsWith('\n')).toBe(true);
  });
});

describe('command table', () => {
  it('every listed command loads, exports run() and the same summary as the table', async () => {
    for (const entry of COMMANDS) {
      const mod = await entry.load();
      expect(typeof mod.run, entry.name).toBe('function');
      expect(mod.summary, entry.name).toBe(entry.summary);
    }
  });
});
