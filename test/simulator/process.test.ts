import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

describe('simulator as a process (npm run simulator)', () => {
  it('starts from SEQR_SIMULATOR_* env vars, logs JSON lines without passwords, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/seqr-simulator/main.ts'], {
      env: {
        ...process.env,
        SEQR_SIMULATOR_PORT: '0',
        SEQR_SIMULATOR_TERMINAL_ID: 'env-terminal',
        SEQR_SIMULATOR_TERMINAL_PASSWORD: 'env-secret-pw',
        SEQR_SIMULATOR_CONFIRMATION_WINDOW_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const started = new Promise<{ soapUrl: string; confirmationWindowMs: number; terminals: string[] }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        const parsed = JSON.parse(line);
        if (parsed.message === 'SEQR simulator listening') resolve(parsed);
      });
      child.on('exit', () => reject(new Error(`exited early: ${lines.join('\n')}`)));
    });
    try {
      const info = await started;
      expect(info.terminals).toEqual(['env-terminal']);
      expect(info.confirmationWindowMs).toBe(1500);
      const wsdl = await fetch(`${info.soapUrl}?wsdl`);
      expect(await wsdl.text()).toContain(`location="${info.soapUrl}"`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(lines.some((l) => JSON.parse(l).message === 'SEQR simulator stopped')).toBe(true);
    for (const line of lines) expect(line).not.toContain('env-secret-pw');
  });
});
