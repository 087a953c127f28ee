export { root, startPlatformProcess, type PlatformProcess } from '../../scripts/lib/platform-process.ts';
