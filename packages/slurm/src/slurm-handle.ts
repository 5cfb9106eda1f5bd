/** The Slurm backend's job handles: the Slurm job id, and where the job's files are. */
import { jobHandleCodec, numberField, stringField } from '@pollinator/backend';
import { BACKEND_NAME } from './slurm-backend-options';

/** `handle.data` of a Slurm job. */
export interface SlurmHandleData {
  workDir: string;
  outputFile: string;
  exitCodeFile: string;
  /** Epoch ms of the submission. */
  submittedAt: number;
  /** `sha256:<hex>` of the SIF file, when the job runs in a container image. */
  imageDigest?: string;
  [key: string]: unknown;
}

export const slurmHandles = jobHandleCodec<SlurmHandleData>({
  backend: BACKEND_NAME,
  decode(data) {
    const workDir = stringField(data, 'workDir');
    const outputFile = stringField(data, 'outputFile');
    const exitCodeFile = stringField(data, 'exitCodeFile');
    if (workDir === undefined || outputFile === undefined || exitCodeFile === undefined) return undefined;
    const { imageDigest: _unchecked, ...rest } = data;
    const imageDigest = stringField(data, 'imageDigest');
    return { ...rest, workDir, outputFile, exitCodeFile, submittedAt: numberField(data, 'submittedAt', 0), ...(imageDigest !== undefined ? { imageDigest } : {}) };
  },
  invalid: (handle) => `Not a Slurm job handle: ${JSON.stringify(handle)}`,
});
