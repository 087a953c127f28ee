import { GatewayError } from '../errors/gateway-error.ts';
import type { Command } from './command.ts';

const usage = '/docs (the documents this chat searches) · /docs add <url>, or /docs add with files attached · /docs remove <id> (admins; asks to confirm)';
const usageError = () => new GatewayError('invalid_request', `Usage: ${usage}`);
const size = (chars: number) => (chars >= 10_000 ? `${Math.round(chars / 1000)}k chars` : `${chars} chars`);

/** The knowledge base from a chat: the same as /v1/documents, into the chat's workspace. */
export const documentCommands: Record<string, Command> = {
  docs: {
    usage,
    async confirm({ documents }, { actor }, args) {
      // Anything else, a non-admin's attempt included, is run() to answer (and refuse).
      if (args[0] !== 'remove' || args.length !== 2 || !documents || actor.user.role !== 'admin') return undefined;
      const document = await documents.get(actor, args[1]!);
      return `Remove ${document.name} (${document.id}, ${size(document.chars)}) from ${document.workspace}? Answers stop drawing on it.`;
    },
    async run({ documents }, { actor, workspace, attachments }, args) {
      if (!documents) throw new GatewayError('invalid_request', 'The knowledge base is not available on this gateway.');
      const [verb = 'list', ...rest] = args;
      if (verb === 'list' && rest.length === 0) {
        const listed = [...(await documents.list(actor, workspace)), ...(workspace === 'default' ? [] : await documents.list(actor, 'default'))];
        if (listed.length === 0) return 'No documents yet. Add one with /docs add <url>, or send a file with the caption /docs add.';
        return ['Documents this chat searches:', ...listed.map((d) => `• ${d.id}  ${d.name}  (${d.workspace}, ${d.format}, ${size(d.chars)}, ${d.chunks} chunks)`)].join('\n');
      }
      if (verb === 'add') {
        if (rest.length > 1 || (rest.length === 0 && attachments.length === 0)) throw usageError();
        const added = [];
        for (const url of rest) added.push(await documents.add(actor, { workspace, url }));
        for (const file of attachments) added.push(await documents.add(actor, { workspace, name: file.name, data: file.data, mediaType: file.mediaType }));
        return added.map((d) => `Added ${d.name} to ${d.workspace} as ${d.id}: ${d.chunks} chunks, searched from now on.`).join('\n');
      }
      if (verb === 'remove' && rest.length === 1) {
        const removed = await documents.remove(actor, rest[0]!);
        return `Removed ${removed.name} (${removed.id}) from ${removed.workspace}.`;
      }
      throw usageError();
    },
  },
};
