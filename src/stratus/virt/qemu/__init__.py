"""The ``qemu`` virt driver: one QEMU process per instance, driven directly over QMP.

Why QMP and not libvirt (decided for issue 4):

* Fewer moving parts: no ``libvirtd``/``virtqemud`` daemon to install, configure, secure and keep
  running beside the compute agent, and no second copy of every instance's state (domain XML)
  to keep in step with Stratus's own. Stratus already persists what it needs (``domain.json``).
* The whole VM definition is one pure function (``domain.build_argv``) that unit tests read
  line by line; libvirt would add an XML layer that is translated to the same argv anyway.
* The lifecycle Stratus offers (power, pause, suspend-to-file, cold resize, snapshot, console
  log) is a handful of QMP commands plus ``qemu-img``; libvirt's big wins (live migration
  orchestration, sVirt/AppArmor labelling, cgroup placement, hot-plug bookkeeping) are not needed
  yet and are added piecemeal when they are (issue 7: ``-sandbox``, ``-runas``, a capped console
  log in place of virtlogd).
* Cost we accept: we supervise processes ourselves (pidfile + ``/proc/<pid>/cmdline`` check +
  QMP socket per instance, a session of its own so guests outlive the agent) and must write our
  own live-migration code if that feature comes.

Modules, one aspect each (private to the driver; only ``QemuDriver`` is public):
``driver`` (the ``VirtDriver`` facade), ``accel`` (KVM-or-TCG probe), ``domain`` (argv, pure),
``layout`` (where an instance's files live), ``qmp`` (QMP client), ``process`` (start/find/stop
QEMU safely), ``runtime`` (one instance's process: start, stop, save, restore), ``confine``
(unprivileged user and seccomp), ``console_log`` (the capped serial log), ``disks`` (per-host
base image cache and ``qemu-img``), ``imagecache`` (removing unused bases), ``build`` (disks and
spec for a new instance), ``resize`` (same-host cold resize), ``vifs`` (tap devices), ``host``
(host resources).
"""
