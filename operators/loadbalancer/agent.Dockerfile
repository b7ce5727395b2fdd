# The agent image (ghcr.io/tugboat/lb-agent, the operator's defaultAgentImage). It only carries
# the agent executable: the LB pod's init container runs
#   cp /usr/local/bin/tugboat-lb-agent /opt/tugboat/bin/tugboat-lb-agent
# and the agent then runs in the HAProxy container (official haproxy Debian image: glibc and
# libstdc++ are there; the executable embeds Node, so no Node is needed).
#
# Build the executable first, then use dist/ as the build context (beside it only tsc's small
# output; the executable is written with mode 0755, which COPY keeps):
#   make agent
#   docker build -f operators/loadbalancer/agent.Dockerfile -t ghcr.io/tugboat/lb-agent:0.1.0 operators/loadbalancer/dist
#
# busybox: the smallest base with the `cp` the init container calls. The executable is only
# copied from this image, never run in it.
FROM busybox:1.37.0
COPY tugboat-lb-agent /usr/local/bin/tugboat-lb-agent
