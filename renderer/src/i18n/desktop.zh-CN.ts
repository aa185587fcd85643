import type en from './desktop.en-US';
import type { Shape } from './shape';

/** 简体中文 messages of the desktop screens (same keys as desktop.en-US). */
const zh: Shape<typeof en> = {
  desktop: {
    title: 'desktop',
    who: '谁可以加入？',
    whoInvite: '我邀请的人',
    whoInviteHint: '在“设置 → 管理”中创建邀请。',
    whoOpen: '网络中的任何人',
    whoOpenHint: '能访问这台电脑的任何人都可以创建帐户。',
    network: '网络',
    networkAuto: '自动（当前使用的内网）',
    networkHint: '服务器只在这个网络上监听。',
    found: '局域网中的服务器',
    searching: '正在局域网中查找服务器…',
    foundPlain: '未加密',
    check: {
      title: '这是正确的服务器吗？',
      intro: '请托管 {url} 的人读出其屏幕上显示的指纹（设置 → 服务器）。只有完全一致时才连接。',
      fingerprint: '指纹',
      showFull: '显示完整指纹',
      hideFull: '隐藏完整指纹',
      accept: '一致，连接',
      cancel: '取消',
    },
    plain: {
      title: '此连接未加密',
      body: '{url} 未使用 TLS：你的密码和消息以明文在网络中传输，网络中的任何人都能读取。',
      hint: '请主机开启 TLS，除非服务器前面有负责加密的代理。',
      accept: '仍然连接',
    },
    changed: {
      title: '警告：服务器的证书已更改',
      body: '你第一次连接时，{url} 的指纹是 {before}。现在是 {after}。',
      why: '主机可能重新安装了 Tickline 或生成了新证书——也可能有人在网络中冒充服务器，想读取你的消息。',
      what: '请先询问托管服务器的人，再继续。把新指纹与其屏幕上的指纹进行比较。',
      confirm: '我已将新指纹与主机屏幕上的指纹比较，两者一致',
      trust: '信任新证书',
      cancel: '不连接',
    },
    errors: {
      mismatch: '此服务器出示的证书与它在网络中公布的不一致。请不要连接，并询问托管它的人。',
      changed: '自你信任以来，服务器的证书已更改。',
    },
    host: {
      appAddress: '同事在应用中输入：',
      browser: '没有应用的同事在浏览器中打开：',
      fingerprint: '指纹（同事连接时核对）：',
      invites: '只有你邀请的人可以加入：在“设置 → 管理”中创建邀请并发给他们。',
      open: '网络中的任何人都可以创建帐户。',
      network: '网络',
      setupCode: '第一个帐户（管理员）的设置码，本窗口已为你自动填写：',
      paused: '托管已暂停：同事无法连接。可在托盘图标中恢复。',
    },
    events: {
      paused: '托管已暂停：在你恢复之前，同事无法连接。',
      resumed: '托管已恢复。',
    },
  },
};

export default zh;
