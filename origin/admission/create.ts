import { noAdmission, type Admission } from '../pipeline/admission.ts';
import type { AdmissionConfig } from './config.ts';
import { AdmissionController } from './controller.ts';

/**
 * The configured admission: the controller (`queue`), or plain pass-through (`off`, kept for the
 * storm benchmark's baseline and for engines that queue well themselves). `load` tells routing
 * how many requests run or wait for an upstream model here.
 */
export function createAdmission(cfg: AdmissionConfig): { admission: Admission; load: (upstream: string, model: string) => number } {
  if (cfg.mode === 'off') return { admission: noAdmission, load: () => 0 };
  const c = new AdmissionController(cfg);
  return { admission: c, load: (upstream, model) => c.load(upstream, model) };
}
