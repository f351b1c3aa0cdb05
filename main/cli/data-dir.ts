// Where Skiff keeps its state by default: the per-user application data folder Electron's
// app.getPath('userData') would give, so the desktop app and `skiff serve` share one cluster.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Skiff');
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Skiff');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Skiff');
}
