/** English messages of the desktop screens (kept apart so that they can grow on their own). */
export default {
  desktop: {
    title: 'desktop',
    who: 'Who may join?',
    whoInvite: 'People I invite',
    whoInviteHint: 'You create invites in Settings → Admin.',
    whoOpen: 'Anyone on the network',
    whoOpenHint: 'Anyone who can reach this computer may create an account.',
    network: 'Network',
    networkAuto: 'Automatic (the private network in use)',
    networkHint: 'The server listens on this network only.',
    found: 'Servers on your network',
    searching: 'Looking for servers on your network…',
    foundPlain: 'not encrypted',
    check: {
      title: 'Is this the right server?',
      intro:
        'Ask the person hosting {url} to read out the fingerprint shown on their screen (Settings → Server). Connect only if it is the same.',
      fingerprint: 'Fingerprint',
      showFull: 'Show the full fingerprint',
      hideFull: 'Hide the full fingerprint',
      accept: 'It matches — connect',
      cancel: 'Cancel',
    },
    plain: {
      title: 'This link is not encrypted',
      body: '{url} does not use TLS: your password and your messages cross the network in clear, and anyone on it can read them.',
      hint: 'Ask the host to turn TLS on, unless a proxy in front of the server encrypts the link.',
      accept: 'Connect anyway',
    },
    changed: {
      title: 'Warning: the server’s certificate changed',
      body: 'When you first connected, {url} had the fingerprint {before}. Now it has {after}.',
      why: 'The host may have reinstalled Tickline or made a new certificate — or someone on the network is pretending to be the server to read your messages.',
      what: 'Do not continue before you asked the person hosting the server. Compare the new fingerprint with their screen.',
      confirm: 'I compared the new fingerprint with the host’s screen and it is the same',
      trust: 'Trust the new certificate',
      cancel: 'Don’t connect',
    },
    errors: {
      mismatch:
        'The certificate this server presented is not the one it announced on the network. Do not connect; ask the person hosting it.',
      changed: 'The server’s certificate changed since you trusted it.',
    },
    host: {
      appAddress: 'In the app, colleagues enter:',
      browser: 'Without the app, in a browser:',
      fingerprint: 'Fingerprint (they compare it when connecting):',
      invites:
        'Only people you invite can join: create invites in Settings → Admin and pass them on.',
      open: 'Anyone on the network can create an account.',
      network: 'Network',
      setupCode: 'Setup code of the first account (the admin), filled in here for you:',
      paused: 'Hosting is paused: colleagues cannot connect. Resume it from the tray icon.',
    },
    events: {
      paused: 'Hosting is paused: colleagues cannot connect until you resume it.',
      resumed: 'Hosting resumed.',
    },
  },
};
