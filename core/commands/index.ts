export { parseCommand, type ParsedCommand } from './parse-command.ts';
export { commands, isGatewayCommand, runCommand, type CommandInvocation, type CommandServices } from './run-command.ts';
export { gatewayReply, gatewayModel } from './command-reply.ts';
