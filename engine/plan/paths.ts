/** Where corosync keeps what a plan writes (Debian's layout; Proxmox's /etc/pve is pvecm's). */
export const CONF = '/etc/corosync/corosync.conf';
export const CONF_NEW = '/etc/corosync/corosync.conf.quorate-new';
export const AUTHKEY = '/etc/corosync/authkey';
