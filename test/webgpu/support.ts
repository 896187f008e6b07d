/**
 * Shared by the webgpu tests: a WebGPU device that computes (Mesa's lavapipe, Vulkan on the CPU, in CI, which
 * .ci/run installs; a GPU where there is one), or a visible skip where there is none and CI is not set. With CI=true
 * a missing device fails the tests, as a missing torch fails the crosscheck tests. Dawn's null backend does not
 * count: it computes nothing.
 *
 * The tests run with tfjs-webgpu's CPU handoff off (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD=0, through the environment,
 * so the CLI processes they start get it too): by default it computes ops on small CPU-resident tensors on the
 * CPU, and the tiny test models would test the CPU kernels instead of the GPU's.
 */
import { probeAdapter, type GpuAdapterInfo } from '../../src/backend/webgpu.js';
import { TFJS_FLAGS_ENV } from '../../src/backend/tfjsFlags.js';
import { installed } from '../support/installed.js';

export const FORCE_GPU_KERNELS = 'WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD=0';

/** The adapter the webgpu tests run on, or null (skip) where there is none outside CI; throws in CI without one. */
export async function webgpuDevice(): Promise<GpuAdapterInfo | null> {
  let why: string;
  if (!installed('webgpu') || !installed('@tensorflow/tfjs-backend-webgpu')) {
    why = "the optional packages 'webgpu' and '@tensorflow/tfjs-backend-webgpu' are not installed";
  } else if (/(^|;)\s*backend=null/.test(process.env.VANILLABENCH_DAWN_OPTIONS ?? '')) {
    why = "VANILLABENCH_DAWN_OPTIONS asks for Dawn's null backend, which computes nothing";
  } else {
    try {
      const { adapter } = await probeAdapter();
      process.env[TFJS_FLAGS_ENV] = FORCE_GPU_KERNELS;
      return adapter;
    } catch (err) {
      why = `${(err as Error).message} (on Debian: mesa-vulkan-drivers from bookworm-backports, as .ci/run installs)`;
    }
  }
  if (process.env.CI) throw new Error(`CI is set but there is no WebGPU device: ${why}`);
  console.warn(`SKIPPED webgpu tests: ${why}`);
  return null;
}
