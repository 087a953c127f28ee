export { startTelegramAdapter, telegramCommands, webhookSecretFor, type TelegramAdapter, type TelegramAdapterOptions } from './telegram-adapter.ts';
export { toTelegramEvent, telegramJobId, type GroupMode, type TelegramEvent } from './to-job.ts';
export { telegramUpdateSchema, type TelegramUpdate } from './telegram-update.ts';
