/**
 * How far a signed platform request's timestamp may be from now, either way: Slack's 5 minutes, and the
 * same for Discord, which only signs. Past it a captured request, however well signed, is refused.
 */
export const maxSkewSeconds = 5 * 60;

export const withinReplayWindow = (timestampSeconds: number, nowMs = Date.now()) => Math.abs(nowMs / 1000 - timestampSeconds) <= maxSkewSeconds;
