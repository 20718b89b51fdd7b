"""Instance metadata: what an instance learns about itself at boot.

* :mod:`.content` and :mod:`.ec2` render an ``InstanceMetadata`` (pure, no I/O): the OpenStack
  tree (``openstack/<version>/meta_data.json`` …), the EC2-compatible tree
  (``<version>/meta-data/…``) and the files of a config drive;
* :mod:`.netns` creates sockets and reads neighbour tables inside network namespaces;
* :mod:`.server` is the HTTP server on 169.254.169.254:80 inside one network's namespace, which
  identifies its caller by source address and MAC (never by a request header);
* :mod:`.service` runs one server per ``qdhcp-<network id>`` namespace on a compute host.
"""
