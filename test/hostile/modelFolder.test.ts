/** Issue 17 item 1: a model folder is untrusted input (weightsManifest paths, sizes, missing files). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSmallModelFolder } from './helpers.js';
import { loadLayersModelFolder, readModelFolderRecord } from '../../src/nn/modelFolder.js';
import { UserError } from '../../src/util/errors.js';

let tmp: string;
let good: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vb-hostile-dir-'));
  good = join(tmp, 'good');
  await writeSmallModelFolder(good);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the good folder with model.json's manifest paths replaced. */
function variant(name: string, paths: string[] | null, edit?: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(good, dir, { recursive: true });
  if (paths) {
    const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    j.weightsManifest[0].paths = paths;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
  }
  edit?.(dir);
  return dir;
}

async function refusal(dir: string): Promise<string> {
  try {
    const m = await loadLayersModelFolder(dir);
    m.dispose();
  } catch (err) {
    expect(err, String((err as Error).stack)).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`${dir} loaded`);
}

describe('loadLayersModelFolder on hostile folders', () => {
  it('loads the good folder', async () => {
    const m = await loadLayersModelFolder(good);
    expect(m.inputs[0].shape).toEqual([null, 32, 32, 3]);
    m.dispose();
  });
  it('refuses a weights path outside the folder (../outside/secret.bin)', async () => {
    mkdirSync(join(tmp, 'outside'), { recursive: true });
    cpSync(join(good, 'weights.bin'), join(tmp, 'outside', 'secret.bin'));
    const dir = variant('dotdot', ['../outside/secret.bin']);
    expect(await refusal(dir)).toMatch(/outside the folder/);
  });
  it('refuses /dev/zero reached through ../ without reading it', async () => {
    const dir = variant('devzero', ['../../../../../../../../dev/zero']);
    expect(await refusal(dir)).toMatch(/outside the folder/);
  });
  it('refuses an absolute path', async () => {
    const dir = variant('absolute', [join(good, 'weights.bin')]);
    expect(await refusal(dir)).toMatch(/absolute/);
  });
  it('refuses a symbolic link that leaves the folder', async () => {
    const dir = variant('link', ['w.bin'], (d) => symlinkSync('/dev/zero', join(d, 'w.bin')));
    expect(await refusal(dir)).toMatch(/outside the folder/);
  });
  it('refuses a truncated weights.bin, and one with extra bytes', async () => {
    let dir = variant('short', null, (d) => truncateSync(join(d, 'weights.bin'), 100));
    expect(await refusal(dir)).toMatch(/weights.*(truncated|bytes)/);
    dir = variant('long', null, (d) => writeFileSync(join(d, 'weights.bin'), Buffer.concat([readFileSync(join(good, 'weights.bin')), Buffer.alloc(8)])));
    expect(await refusal(dir)).toMatch(/too large|bytes/);
  });
  it('refuses a missing weights file, a missing manifest and a broken model.json', async () => {
    let dir = variant('nobin', null, (d) => unlinkSync(join(d, 'weights.bin')));
    expect(await refusal(dir)).toMatch(/weights\.bin/);
    dir = variant('nomanifest', null, (d) => {
      const j = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
      delete j.weightsManifest;
      writeFileSync(join(d, 'model.json'), JSON.stringify(j));
    });
    expect(await refusal(dir)).toMatch(/weightsManifest/);
    dir = variant('badtopology', null, (d) => {
      const j = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
      j.modelTopology = { nonsense: 1 };
      writeFileSync(join(d, 'model.json'), JSON.stringify(j));
    });
    expect(await refusal(dir)).toMatch(/model\.json/);
    dir = variant('dirjson', null, (d) => {
      unlinkSync(join(d, 'model.json'));
      mkdirSync(join(d, 'model.json'));
    });
    expect(await refusal(dir)).toMatch(/model\.json/);
  });
  it('refuses a topology whose layer takes its input from a layer that does not exist (tfjs looped for ever; found by the fuzz test)', async () => {
    const dir = variant('renamed', null, (d) => {
      const text = readFileSync(join(d, 'model.json'), 'utf8');
      writeFileSync(join(d, 'model.json'), text.replace('"name":"stages_0_pool"', '"name":"stages_0_pook"'));
    });
    expect(await refusal(dir)).toMatch(/takes its input from 'stages_0_pool', which is not a layer/);
  });
  it('a train run folder (its model in deploy/) is refused with the folder to give, as `train --out` users pass it', async () => {
    const run = join(tmp, 'trainrun');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'summary.json'), '{}');
    cpSync(good, join(run, 'deploy'), { recursive: true });
    expect(await refusal(run)).toMatch(/trainrun is a train run folder: its model is .*trainrun\/deploy/);
    expect(await refusal(join(tmp, 'nothing-here'))).not.toMatch(/train run folder/);
  });
  it('readModelFolderRecord does not read a vanillabench.json that is /dev/zero', () => {
    const dir = variant('metazero', null, (d) => symlinkSync('/dev/zero', join(d, 'vanillabench.json')));
    expect(readModelFolderRecord(dir)?.model).toBe('vanillanet-5');
  });
});
