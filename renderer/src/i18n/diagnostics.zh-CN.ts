import type en from './diagnostics.en-US';
import type { Shape } from './shape';

/** 简体中文 messages of Settings → Diagnostics (same keys as diagnostics.en-US). */
const zh: Shape<typeof en> = {
  diagnostics: {
    title: '诊断',
    hint: '本窗口打开以来出现的问题，可附在错误报告中。除非你复制，这些信息只留在本设备上，且从不包含你的密码、会话或消息。',
    errors: '最近的错误',
    noErrors: '没有记录到错误。',
    repeated: '连续 {count} 次',
    versions: '版本',
    appVersion: '应用',
    protocolVersion: '协议',
    runtime: '运行环境',
    desktopApp: '桌面应用',
    webBrowser: '网页浏览器',
    userAgent: '用户代理',
    server: '服务器与连接',
    serverUrl: '地址',
    notChosen: '尚未选择',
    connection: '连接',
    history: '连接记录',
    noHistory: '暂无变化。',
    copy: '复制到剪贴板',
    copied: '已复制。请粘贴到错误报告中。',
    copyFailed: '无法复制：浏览器不允许此操作。',
  },
};

export default zh;
