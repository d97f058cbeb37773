/* SPDX-License-Identifier: MIT */
/*
 * The loopback teacher of the teach benchmark: a single-threaded epoll
 * HTTP/1.1 server with keep-alive that answers every POST with the same
 * OpenAI chat completion exactly LATENCY ms after the request has fully
 * arrived (a timerfd fires at the deadline of the oldest waiting request;
 * the latency is fixed, so deadlines arrive in FIFO order).  It binds
 * 127.0.0.1 on an ephemeral port and prints the port as its first stdout
 * line.  On SIGTERM or SIGINT, or after LIFETIME seconds, it prints one
 * line of figures to stderr (requests served, connections accepted, the
 * most waiting at once, the mean delay actually served, its own CPU time)
 * so the benchmark can show the server was not the bottleneck.
 *
 * usage: latency-server [LATENCY_MS [LIFETIME_S]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define RBUF_MAX (1 << 20)

struct conn {
	int fd;
	char *rbuf;
	size_t rlen, rcap;
	size_t reqlen;		/* bytes of the request being answered */
	int waiting;		/* a response is scheduled */
	const char *wptr;	/* unsent part of the response */
	size_t wleft;
	double arrived;
	struct conn *next;	/* in the FIFO of waiting requests */
};

static const char body[] =
	"{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\","
	"\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,"
	"\"message\":{\"role\":\"assistant\",\"content\":\"The premise says "
	"the dog is outside, and a dog in the park is outside. So the answer "
	"is entailment.\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
	"\"usage\":{\"prompt_tokens\":42,\"completion_tokens\":24,"
	"\"total_tokens\":66}}";
static char response[1024];
static size_t response_len;

static volatile sig_atomic_t stop;
static struct conn *head, *tail;
static long served, pending, max_pending, accepted;
static double delay_sum;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sets the timer to fire at monotonic time t, or disarms it (t = 0). */
static void
arm(int tfd, double t)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (t > 0) {
		its.it_value.tv_sec = (time_t)t;
		its.it_value.tv_nsec = (long)((t - (time_t)t) * 1e9);
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
conn_close(int ep, struct conn *c)
{
	struct conn **pp;

	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->waiting) {
		for (pp = &head; *pp; pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		tail = NULL;
		for (struct conn *p = head; p; p = p->next)
			tail = p;
		pending--;
	}
	free(c->rbuf);
	free(c);
}

/* The length of the first complete request in c->rbuf, or 0. */
static size_t
request_length(struct conn *c)
{
	char *end, *p, *line;
	size_t hlen, clen = 0;
	int chunked = 0;

	end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
	if (!end)
		return 0;
	hlen = (size_t)(end - c->rbuf) + 4;
	for (line = c->rbuf; line < end; line = p + 2) {
		p = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		if (!p)
			break;
		if (p - line > 15 && strncasecmp(line, "content-length:", 15) == 0)
			clen = strtoul(line + 15, NULL, 10);
		else if (strncasecmp(line, "transfer-encoding:", 18) == 0 &&
		    memmem(line, (size_t)(p - line), "chunked", 7))
			chunked = 1;
	}
	if (chunked) {
		p = memmem(c->rbuf + hlen, c->rlen - hlen, "0\r\n\r\n", 5);
		return p ? (size_t)(p - c->rbuf) + 5 : 0;
	}
	return c->rlen >= hlen + clen ? hlen + clen : 0;
}

static void
try_request(struct conn *c)
{
	size_t n;

	if (c->waiting || c->wleft)
		return;
	n = request_length(c);
	if (!n)
		return;
	c->reqlen = n;
	c->waiting = 1;
	c->arrived = now();
	c->next = NULL;
	if (tail)
		tail->next = c;
	else
		head = c;
	tail = c;
	if (++pending > max_pending)
		max_pending = pending;
}

/* Sends what it can; returns -1 when the connection is dead. */
static int
flush_conn(int ep, struct conn *c)
{
	struct epoll_event ev;
	ssize_t w;

	while (c->wleft) {
		w = write(c->fd, c->wptr, c->wleft);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			ev.events = EPOLLIN | EPOLLOUT;
			ev.data.ptr = c;
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return 0;
		}
		c->wptr += w;
		c->wleft -= (size_t)w;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	return 0;
}

static int
answer(int ep, struct conn *c, double t)
{
	c->waiting = 0;
	pending--;
	served++;
	delay_sum += t - c->arrived;
	memmove(c->rbuf, c->rbuf + c->reqlen, c->rlen - c->reqlen);
	c->rlen -= c->reqlen;
	c->wptr = response;
	c->wleft = response_len;
	if (flush_conn(ep, c) < 0)
		return -1;
	try_request(c);
	return 0;
}

static int
read_conn(struct conn *c)
{
	ssize_t r;

	for (;;) {
		if (c->rcap - c->rlen < 4096) {
			if (c->rcap >= RBUF_MAX)
				return -1;
			c->rcap = c->rcap ? c->rcap * 2 : 8192;
			c->rbuf = realloc(c->rbuf, c->rcap);
			if (!c->rbuf)
				return -1;
		}
		r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN ? 0 : errno == EINTR ? 0 : -1;
		c->rlen += (size_t)r;
		if (memmem(c->rbuf, c->rlen, "100-continue", 12) &&
		    !c->waiting && !request_length(c)) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			if (write(c->fd, cont, sizeof(cont) - 1) < 0)
				return -1;
		}
	}
}

int
main(int argc, char **argv)
{
	double latency = argc > 1 ? atof(argv[1]) / 1000.0 : 0.020;
	double lifetime = argc > 2 ? atof(argv[2]) : 300;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct epoll_event ev, evs[256];
	struct rusage ru;
	double start = now();
	int lfd, ep, tfd, one = 1, i, n;

	response_len = (size_t)snprintf(response, sizeof(response),
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n%s",
	    sizeof(body) - 1, body);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		perror("latency-server");
		return 1;
	}
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);

	ep = epoll_create1(0);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	ev.events = EPOLLIN;
	ev.data.ptr = &lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	while (!stop && now() - start < lifetime) {
		n = epoll_wait(ep, evs, 256, 1000);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &lfd) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					struct conn *c = calloc(1, sizeof(*c));

					if (!c) {
						close(fd);
						continue;
					}
					accepted++;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					c->fd = fd;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
			} else if (evs[i].data.ptr == &tfd) {
				uint64_t x;

				if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					break;
			} else {
				struct conn *c = evs[i].data.ptr;

				if ((evs[i].events & EPOLLOUT) &&
				    flush_conn(ep, c) < 0) {
					conn_close(ep, c);
					continue;
				}
				if ((evs[i].events & (EPOLLIN | EPOLLHUP |
				    EPOLLERR)) && read_conn(c) < 0) {
					conn_close(ep, c);
					continue;
				}
				try_request(c);
			}
		}
		/* Answer every request whose time has come. */
		for (double t = now(); head && head->arrived + latency <= t;
		    t = now()) {
			struct conn *c = head;

			head = c->next;
			if (!head)
				tail = NULL;
			if (answer(ep, c, t) < 0)
				conn_close(ep, c);
		}
		arm(tfd, head ? head->arrived + latency : 0);
	}
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "latency-server: served %ld over %ld connections, "
	    "at most %ld waiting, mean delay %.2f ms, cpu %.2f s, "
	    "wall %.2f s\n", served, accepted,
	    max_pending, served ? delay_sum / served * 1000 : 0.0,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, now() - start);
	return 0;
}
