// `npm run slack:manifest [-- --url https://bot.example.com] [--name Name]`: prints the Slack app
// manifest to paste into https://api.slack.com/apps → Create New App → From a manifest.
import { parseArgs } from 'node:util';
import { slackManifest } from '../adapters/slack/manifest.ts';

const { values } = parseArgs({
  options: { url: { type: 'string' }, name: { type: 'string' }, path: { type: 'string' } },
  strict: true,
});
const publicUrl = values.url ?? process.env.SLACK_PUBLIC_URL;
if (publicUrl !== undefined && !/^https:\/\/\S+$/.test(publicUrl)) {
  process.stderr.write(`--url must be the platform's public https:// URL, for example https://bot.example.com (got "${publicUrl}")\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify(slackManifest({ name: values.name, publicUrl, eventsPath: values.path ?? process.env.SLACK_EVENTS_PATH }), null, 2)}\n`);
if (!publicUrl) process.stderr.write('No --url given: the manifest uses Socket Mode. Create an app-level token (connections:write) and set SLACK_APP_TOKEN.\n');
