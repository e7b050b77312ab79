/**
 * corosync.conf: lossless parse/print, the typed view, typed edits, a fresh file in pvecm's layout,
 * and validation. Tool-output parsers live beside these in `tool-*.ts`.
 */
export { parseConf, printConf, walkConf, splitLines } from './conf-syntax';
export type {
  ConfDocument,
  ConfNode,
  ConfPair,
  ConfSection,
  ConfTrivia,
  ConfLine,
  ConfSyntaxError,
} from './conf-syntax';
export { readConf, toVotequorumConfig, nodeLabel, parseAutoTieBreakerNode } from './conf-read';
export type {
  CorosyncConfig,
  TotemConfig,
  TotemInterface,
  NodelistNode,
  QuorumSectionConfig,
  QuorumDeviceConfig,
  QdeviceNetConfig,
  LoggingConfig,
  LoggerSubsys,
  GenericSection,
} from './conf-read';
export {
  addNode,
  removeNode,
  setNodeLinkAddress,
  addLink,
  removeLink,
  setQdevice,
  removeQdevice,
  setVotequorumOptions,
  bumpConfigVersion,
} from './conf-edit';
export type { NewNode, NewLink, QdeviceSettings, QdeviceEdit, VotequorumOptions } from './conf-edit';
export { checkNewConf, renderNewConf } from './conf-render';
export type { NewConfOptions, NewConfNode, NewConfLink } from './conf-render';
export { validateConf, checkConfText } from './conf-validate';
export type { ConfProblem } from './conf-validate';
export { parseQuorumtoolStatus, parseQuorumtoolList, VOTEQUORUM_FLAGS } from './tool-quorumtool';
export type {
  QuorumtoolStatus,
  QuorumtoolMembership,
  QuorumMember,
  QdeviceRow,
  MemberQdeviceState,
  VotequorumStatus,
  VotequorumFlag,
  RingId,
} from './tool-quorumtool';
export { parseCfgtoolStatus, parseCfgtoolNodes } from './tool-cfgtool';
export type {
  CfgtoolStatus,
  CfgtoolLink,
  CfgtoolNodes,
  CfgtoolNode,
  CfgtoolNodeLink,
  LinkPeerStatus,
} from './tool-cfgtool';
export { parseQnetdList, parseQnetdStatus } from './tool-qnetd';
export type { QnetdClient, QnetdCluster, QnetdStatus } from './tool-qnetd';
export { parsePvecmStatus, parsePvecmNodes } from './tool-pvecm';
export type { PvecmStatus, PvecmClusterInfo } from './tool-pvecm';
export { liveQuorumFromStatus } from './live-quorum';
export { checkAddress, checkName, isHostname, isIpv4, isIpv6, isLinkAddress, isSafeName } from './names';
