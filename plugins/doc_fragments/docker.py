# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Options shared by every module that talks to a Docker engine. Set them
    # once for all modules with module_defaults group/dbops.containers.db.
    DOCUMENTATION = r'''
options:
  docker_host:
    description:
      - The Docker engine to talk to, for example V(unix:///var/run/docker.sock) or V(tcp://db1.example.com:2376).
      - When not set, the module uses the E(DOCKER_HOST) environment variable, then the local socket.
      - V(ssh://user@host) needs the Python library C(paramiko) and the host's key in C(~/.ssh/known_hosts).
    type: str
  docker_ca_path:
    description:
      - With a V(tcp://) O(docker_host), connect with TLS and verify the engine's certificate against this CA file.
      - Required when O(docker_client_cert) is set.
    type: path
  docker_client_cert:
    description: The client certificate (PEM) the engine asks for with C(--tlsverify). Goes with O(docker_client_key).
    type: path
  docker_client_key:
    description: The key of O(docker_client_cert) (PEM).
    type: path
requirements:
  - docker (Python library, 5.0 or later)
'''
