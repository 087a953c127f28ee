import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import { identityRef, requireAdmin } from '../identity/actor.ts';
import type { LinkedUser } from '../identity/linking.ts';
import { formatCode } from '../identity/one-time-code.ts';
import type { ExternalIdentity } from '../store/store.ts';
import { codeArg, parseArgs } from './command-args.ts';
import type { Command, CommandAnswer, CommandInvocation, CommandServices } from './command.ts';
import { Confirmations } from './confirmations.ts';
import { conversationCommands } from './conversation-commands.ts';
import { documentCommands } from './document-commands.ts';
import { keyCommands } from './key-commands.ts';
import type { ParsedCommand } from './parse-command.ts';
import { reportCommands } from './report-commands.ts';
import { toolCommands } from './tool-commands.ts';
import { userCommands } from './user-commands.ts';

export type { CommandAnswer, CommandInvocation, CommandServices } from './command.ts';

const identityList = (identities: ExternalIdentity[]) => identities.map(identityRef).join(', ');
const linked = ({ user, identities }: LinkedUser) => `Linked. One account (${user.id}, role ${user.role}) now has: ${identityList(identities)}.`;
const until = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Chat commands handled by the gateway itself, the same in every chat (registered per platform from core/contracts/commands.ts). */
export const commands: Record<string, Command> = {
  ...conversationCommands,
  ...reportCommands,
  ...userCommands,
  ...keyCommands,
  ...toolCommands,
  ...documentCommands,
  link: {
    usage: '/link (get a code) · /link CODE (confirm it from your other chat) · admins: /link <user> <user>',
    async run({ accounts }, { actor, direct }, args) {
      if (args.length === 0) {
        if (!direct) throw new GatewayError('forbidden', 'A link code is shown only in a direct message: send /link to me there.');
        const code = await accounts.linking.issueCode(actor);
        return `Your link code is ${formatCode(code.code)}, valid until ${until(code.expiresAt)}. Send /link ${formatCode(code.code)} from your other chat (or POST it to /v1/link) and the two become one account.`;
      }
      if (args.length === 1) return linked(await accounts.linking.confirm(actor, args[0]!));
      if (args.length === 2) return linked(await accounts.linking.link(actor, args[0]!, args[1]!));
      throw usageError('link');
    },
  },
  unlink: {
    usage: '/unlink <platform:id> (one of your identities; admins: anyone\'s)',
    async run({ accounts }, { actor }, args) {
      if (args.length !== 1) throw usageError('unlink');
      const user = await accounts.linking.unlink(actor, args[0]!);
      return `Unlinked ${args[0]}: it is now an account of its own (${user.id}, role ${user.role}).`;
    },
  },
  pair: {
    admin: true,
    usage: '/pair (admins: who waits for approval, in a direct message) · /pair approve CODE · /pair deny CODE',
    async run({ accounts: { pairing } }, { actor, direct }, args) {
      const [verb, code] = parseArgs(z.union([z.tuple([]), z.tuple([z.enum(['approve', 'deny']), codeArg])]), args, commands.pair!.usage);
      if (verb === undefined) {
        // Their codes are what an admin approves with: not for a group to read.
        if (!direct) throw new GatewayError('forbidden', 'Pairing codes are listed only in a direct message: send /pair to me there.');
        const pending = await pairing.pending(actor);
        if (pending.length === 0) return 'No one is waiting for approval.';
        return ['Waiting for approval:', ...pending.map((p) => `${formatCode(p.code)}  ${identityList(p.identities)}  (until ${until(p.expiresAt)})`)].join('\n');
      }
      const decided = verb === 'approve' ? await pairing.approve(actor, code!) : await pairing.deny(actor, code!);
      return verb === 'approve'
        ? `Approved: ${identityList(decided.identities)} may now talk to the assistant.`
        : `Denied: ${identityList(decided.identities)} is blocked.`;
    },
  },
  confirm: {
    usage: '/confirm CODE (go ahead with what I asked you to confirm)',
    async run(services, invocation, args) {
      const [code] = parseArgs(z.tuple([codeArg]), args, commands.confirm!.usage);
      const pending = await confirmations(services).take(invocation.actor, code);
      return runCommand(services, { ...invocation, confirmed: true }, { name: pending.name, args: pending.args });
    },
  },
  cancel: {
    usage: '/cancel CODE (call off what I asked you to confirm)',
    async run(services, invocation, args) {
      const [code] = parseArgs(z.tuple([codeArg]), args, commands.cancel!.usage);
      const pending = await confirmations(services).take(invocation.actor, code);
      return `Called off: /${pending.name} ${pending.args.join(' ')} will not run.`;
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

/** Questions before destructive commands: nothing but the store's codes, so one over the store is all it takes. */
const confirmations = ({ store }: CommandServices) => new Confirmations(store);

export const isGatewayCommand = (parsed: ParsedCommand | undefined): parsed is ParsedCommand => parsed !== undefined && Object.hasOwn(commands, parsed.name);

/**
 * Runs a command this module knows: an admin-only one refuses anyone else (audited, as
 * `command.<name>`), and a destructive one asks its admin to confirm first, with buttons where the chat
 * has them. The answer, or a GatewayError a person can read.
 */
export async function runCommand(services: CommandServices, invocation: CommandInvocation, { name, args }: ParsedCommand): Promise<CommandAnswer> {
  const command = commands[name]!;
  if (command.admin) await requireAdmin(services.store, invocation.actor, `command.${name}`);
  const question = invocation.confirmed ? undefined : await command.confirm?.(services, invocation, args);
  if (question !== undefined) {
    const code = await confirmations(services).ask(invocation.actor, { name, args });
    const minutes = confirmations(services).ttlMinutes;
    return {
      text: `${question}\nPress Confirm, or send /confirm ${code} within ${minutes} minutes (/cancel ${code} calls it off).`,
      actions: [
        { label: 'Confirm', command: `/confirm ${code}`, style: 'danger' },
        { label: 'Cancel', command: `/cancel ${code}` },
      ],
    };
  }
  const answer = await command.run(services, invocation, args);
  return typeof answer === 'string' ? { text: answer } : answer;
}
