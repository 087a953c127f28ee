import { GatewayError } from '../errors/gateway-error.ts';
import { identityRef, type Actor } from '../identity/actor.ts';
import type { LinkedUser } from '../identity/linking.ts';
import { formatCode } from '../identity/one-time-code.ts';
import type { ExternalIdentity } from '../store/store.ts';
import type { Command, CommandInvocation, CommandServices } from './command.ts';
import { conversationCommands } from './conversation-commands.ts';
import { toolCommands } from './tool-commands.ts';
import { documentCommands } from './document-commands.ts';
import { reportCommands } from './report-commands.ts';
import type { ParsedCommand } from './parse-command.ts';

export type { CommandInvocation, CommandServices } from './command.ts';

const identityList = (identities: ExternalIdentity[]) => identities.map(identityRef).join(', ');
const linked = ({ user, identities }: LinkedUser) => `Linked. One account (${user.id}, role ${user.role}) now has: ${identityList(identities)}.`;
const until = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Chat commands handled by the gateway itself, the same in every chat. */
export const commands: Record<string, Command> = {
  ...conversationCommands,
  ...toolCommands,
  ...documentCommands,
  ...reportCommands,
  link: {
    usage: '/link (get a code) · /link CODE (confirm it from your other chat) · admins: /link <user> <user>',
    async run({ linking }, { actor, direct }, args) {
      if (args.length === 0) {
        if (!direct) throw new GatewayError('forbidden', 'A link code is shown only in a direct message: send /link to me there.');
        const code = await linking.issueCode(actor);
        return `Your link code is ${formatCode(code.code)}, valid until ${until(code.expiresAt)}. Send /link ${formatCode(code.code)} from your other chat (or POST it to /v1/link) and the two become one account.`;
      }
      if (args.length === 1) return linked(await linking.confirm(actor, args[0]!));
      if (args.length === 2) return linked(await linking.link(actor, args[0]!, args[1]!));
      throw usageError('link');
    },
  },
  unlink: {
    usage: '/unlink <platform:id> (one of your identities; admins: anyone\'s)',
    async run({ linking }, { actor }, args) {
      if (args.length !== 1) throw usageError('unlink');
      const user = await linking.unlink(actor, args[0]!);
      return `Unlinked ${args[0]}: it is now an account of its own (${user.id}, role ${user.role}).`;
    },
  },
  pair: {
    admin: true,
    usage: '/pair (list who waits) · /pair approve CODE · /pair deny CODE',
    async run({ pairing }, { actor }, args) {
      const [verb, code, ...rest] = args;
      if (verb === undefined) {
        const pending = await pairing.pending(actor);
        if (pending.length === 0) return 'No one is waiting for approval.';
        return ['Waiting for approval:', ...pending.map((p) => `${formatCode(p.code)}  ${identityList(p.identities)}  (until ${until(p.expiresAt)})`)].join('\n');
      }
      if ((verb !== 'approve' && verb !== 'deny') || code === undefined || rest.length > 0) throw usageError('pair');
      const decided = verb === 'approve' ? await pairing.approve(actor, code) : await pairing.deny(actor, code);
      return verb === 'approve'
        ? `Approved: ${identityList(decided.identities)} may now talk to the assistant.`
        : `Denied: ${identityList(decided.identities)} is blocked.`;
    },
  },
};

function usageError(name: string) {
  return new GatewayError('invalid_request', `Usage: ${commands[name]!.usage}`);
}

/** /help: the commands this user may run, with their usage, the same list in every chat. */
commands.help = {
  usage: '/help (this list)',
  async run(_services, { actor }) {
    const mine = Object.values(commands).filter((command) => !command.admin || actor.user.role === 'admin');
    return ['I am an AI assistant: send me a message and I answer. Commands:', ...mine.map((command) => `• ${command.usage}`)].join('\n');
  },
};

export const isGatewayCommand = (parsed: ParsedCommand | undefined): parsed is ParsedCommand => parsed !== undefined && Object.hasOwn(commands, parsed.name);

/** Runs a command this module knows; the reply text, or a GatewayError a person can read. */
export function runCommand(services: CommandServices, invocation: CommandInvocation, parsed: ParsedCommand): Promise<string> {
  return commands[parsed.name]!.run(services, invocation, parsed.args);
}
