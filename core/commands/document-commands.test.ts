import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DocumentLibrary } from '../knowledge/document-library.ts';
import { scriptedModel, sentText } from '../../test/fakes/fake-openai.ts';
import { buildPdf } from '../../test/helpers/pdf.ts';
import { answerOf, usePipeline } from '../../test/helpers/pipeline-harness.ts';

const pipeline = usePipeline();
const env = { ADMIN_USERS: 'slack:T1:UADMIN' };
const base64 = (text: string) => Buffer.from(text).toString('base64');
const admin = { platform: 'slack' as const, user: 'T1:UADMIN', workspace: 'slack:T1' };

describe('/docs from a chat', () => {
  it('adds attached files to the chat workspace, lists and removes them; only admins may', async () => {
    const { say, knowledge } = pipeline.start(env);
    const pdf = Buffer.from(buildPdf(['Badges are printed at the front desk on Mondays.'])).toString('base64');
    const added = answerOf(
      await say('/docs add', {
        ...admin,
        attachments: [
          { name: 'handbook.md', mediaType: 'text/markdown', data: base64('# Handbook\n\nLunch is served at noon in the atrium.') },
          { name: 'badges.pdf', mediaType: 'application/pdf', data: pdf },
        ],
      }),
    );
    expect(added).toMatch(/^Added handbook\.md to slack:T1 as doc_\w+: 1 chunks, searched from now on\.\nAdded badges\.pdf to slack:T1/);
    expect((await knowledge.list('slack:T1')).map((d) => d.name).sort()).toEqual(['badges.pdf', 'handbook.md']);

    const listed = answerOf(await say('/docs', admin));
    expect(listed).toMatch(/^Documents this chat searches:\n• doc_\w+ {2}badges\.pdf {2}\(slack:T1, pdf, \d+ chars, 1 chunks\)/);
    const id = /doc_\w+/.exec(listed)![0];

    expect(answerOf(await say('/docs add', { platform: 'slack', user: 'T1:UPLAIN', workspace: 'slack:T1', attachments: [{ name: 'x.md', data: base64('x') }] }))).toMatch(/^error forbidden: Only an administrator/);
    expect(answerOf(await say('/docs add', admin))).toMatch(/^error invalid_request: Usage: \/docs/);
    expect(answerOf(await say('/docs add', { ...admin, attachments: [{ name: 'blob.bin', data: Buffer.from([0, 255, 0, 1]).toString('base64') }] }))).toMatch(/^error unsupported_media_type: /);
    expect(answerOf(await say('/docs add https://example.com/x', admin))).toMatch(/^error forbidden: Adding documents by URL is off: set FETCH_ALLOWED_HOSTS/);

    // Removing asks first; only the admin who asked can confirm.
    const asked = answerOf(await say(`/docs remove ${id}`, admin));
    expect(asked).toMatch(new RegExp(`^Remove (badges\\.pdf|handbook\\.md) \\(${id}, \\d+ chars\\) from slack:T1\\? .*\\nPress Confirm, or send /confirm [A-Z0-9]{4}-[A-Z0-9]{4} within 5 minutes`));
    expect(await knowledge.list('slack:T1')).toHaveLength(2);
    const code = /\/confirm (\S+)/.exec(asked)![1]!;
    expect(answerOf(await say(`/confirm ${code}`, admin))).toMatch(/^Removed (badges\.pdf|handbook\.md)/);
    expect(await knowledge.list('slack:T1')).toHaveLength(1);
  });

  it("retrieves a workspace's documents only in its own chats, and the shared ones everywhere", async () => {
    const { say } = pipeline.start(env);
    const prompts: string[] = [];
    pipeline.upstream.handle(scriptedModel((messages) => (prompts.push(messages.map(sentText).join('\n')), 'ok')));
    await say('/docs add', { ...admin, attachments: [{ name: 'team-secret.md', data: base64('The T1 team offsite is in Lisbon in May.') }] });
    await say('Where is the team offsite?', { platform: 'slack', user: 'T1:UPLAIN', workspace: 'slack:T1' });
    expect(prompts.at(-1)).toContain('[1] team-secret.md');
    await say('Where is the team offsite?', { platform: 'slack', user: 'T2:UOTHER', workspace: 'slack:T2' });
    expect(prompts.at(-1)).not.toContain('team-secret.md');
  });

  it('adds a page from an allowed host by URL, and refuses other hosts and private addresses', async () => {
    const wiki = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Wiki</h1><p>VPN setup: install the client, then sign in.</p>'));
    await new Promise<void>((resolve) => wiki.listen(0, '127.0.0.1', resolve));
    const { port } = wiki.address() as AddressInfo;
    try {
      const { say } = pipeline.start({ ...env, FETCH_ALLOWED_HOSTS: 'wiki.test' }, (config, store, knowledge) => ({
        documents: new DocumentLibrary({
          store,
          knowledge,
          fetchAllowedHosts: config.tools.fetchAllowedHosts,
          fetchOptions: { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowAddress: (ip) => ip === '127.0.0.1' },
        }),
      }));
      expect(answerOf(await say(`/docs add http://wiki.test:${port}/vpn`, admin))).toMatch(new RegExp(`^Added http://wiki\\.test:${port}/vpn to slack:T1 as doc_\\w+: 1 chunks`));
      expect(answerOf(await say('/docs add http://elsewhere.test/page', admin))).toMatch(/^error invalid_request: .*elsewhere\.test/);
      // The real resolver and no exemption: a private address is refused whatever the allowlist says.
      const strict = pipeline.start({ ...env, FETCH_ALLOWED_HOSTS: 'localhost' });
      expect(answerOf(await strict.say(`/docs add http://localhost:${port}/vpn`, admin))).toMatch(/^error invalid_request: .*loopback/);
    } finally {
      wiki.close();
    }
  });
});
