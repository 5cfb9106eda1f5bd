import { describe, expect, it } from 'vitest';
import { startSshd } from './sshd';

describe('the sshd fixture', () => {
  it('fails (never skips) with a message saying how to install sshd when it is missing', async () => {
    await expect(startSshd({ sshdPath: '/nonexistent/sbin/sshd' })).rejects.toThrow(/sshd not found at \/nonexistent\/sbin\/sshd.*apt-get install openssh-server/s);
  });
});
