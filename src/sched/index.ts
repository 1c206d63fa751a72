// Scheduler helpers: CPU lists, nice weights, CPU-time sampling.
export { parseCpuList, formatCpuList, onlineCpus, cpusetCpus, parseKernelCpuList } from './cpus.js';
export { NICE_TO_WEIGHT, NICE_MIN, NICE_MAX, niceToWeight, predictedShare, predictedRatio } from './weights.js';
export {
  CpuSampler,
  readProcCpu,
  readCpuTicks,
  readSchedstat,
  processTree,
  summarize,
  cpuUseSeries,
  timeToCpu,
  USER_HZ,
  TICK_MS,
  type Sample,
  type ProcCpu,
  type CpuTicks,
  type SamplerOptions,
  type WindowSummary,
} from './sampler.js';
