/*
 * rsync_live_inotify: one inotify descriptor for a whole watched tree, as a Node-API addon (ABI-stable, so the
 * same binary loads in Node and in Electron). It owns the descriptor and nothing else: the watch list, the
 * parsing of events and every decision live in electron/engine/watcher/kernel-watcher.ts. (Being the one native
 * module, it also lends glibc's malloc_trim to electron/engine/release-memory.ts.)
 *
 * Reading never blocks the event loop: the descriptor is non-blocking and registered with the loop's own
 * poller (uv_poll_t, obtained through napi_get_uv_event_loop), so when the kernel has events, libuv wakes the
 * loop, we drain the descriptor with read() until EAGAIN and hand the raw bytes (struct inotify_event records,
 * names untouched) to JavaScript in one Buffer per wake-up. No thread, no lock, no copy of the queue.
 *
 * JS API (the descriptor functions take the handle returned by open):
 *   open(onEvents: (batch: Buffer) => void): handle
 *   addWatch(handle, path: Buffer, mask: number): number      wd; throws an Error with .code (ENOSPC, ENOENT...)
 *   rmWatch(handle, wd: number): void                          ignores EINVAL (watch already gone)
 *   close(handle): void
 *   mallocTrim(): boolean                                      glibc malloc_trim(0): free heap pages back to the
 *                                                              system; false when nothing was released or no glibc
 *   constants: { IN_ACCESS, ... }                              the kernel's mask bits
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <uv.h>

#define READ_CHUNK 65536

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref callback;
  napi_async_context async;
  int closed;      /* close() ran: no more reads, no more calls into JS */
  int poll_closed; /* libuv let go of the poll handle */
  int finalized;   /* the JS handle was garbage-collected: nothing refers to this struct any more */
  char *batch;
  size_t batch_cap;
} Watcher;

#define CHECK(call)                                                                                        \
  do {                                                                                                     \
    if ((call) != napi_ok) return NULL;                                                                    \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  const char *code = NULL;
  switch (err) {
    case ENOSPC: code = "ENOSPC"; break;
    case ENOENT: code = "ENOENT"; break;
    case ENOTDIR: code = "ENOTDIR"; break;
    case EACCES: code = "EACCES"; break;
    case EMFILE: code = "EMFILE"; break;
    case ENFILE: code = "ENFILE"; break;
    case ENOMEM: code = "ENOMEM"; break;
    case EINVAL: code = "EINVAL"; break;
    case EBADF: code = "EBADF"; break;
    case ELOOP: code = "ELOOP"; break;
    case ENAMETOOLONG: code = "ENAMETOOLONG"; break;
    default: code = "EIO"; break;
  }
  char message[160];
  snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  napi_value msg, code_value, error, errno_value;
  CHECK(napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg));
  CHECK(napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value));
  CHECK(napi_create_error(env, code_value, msg, &error));
  CHECK(napi_create_int32(env, -err, &errno_value));
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall",
                          (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &msg), msg));
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_message(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static Watcher *get_watcher(napi_env env, napi_value value) {
  Watcher *w = NULL;
  if (napi_get_value_external(env, value, (void **)&w) != napi_ok || w == NULL) {
    throw_message(env, "rsync_live_inotify: expected a handle from open()");
    return NULL;
  }
  if (w->closed) {
    throw_message(env, "rsync_live_inotify: the handle is closed");
    return NULL;
  }
  return w;
}

/* The struct goes once both libuv (the poll) and JS (the external) have let go of it, whichever is last. */
static void release(Watcher *w) {
  if (!w->poll_closed || !w->finalized) return;
  free(w->batch);
  free(w);
}

static void on_poll_closed(uv_handle_t *handle) {
  Watcher *w = (Watcher *)handle->data;
  w->poll_closed = 1;
  release(w);
}

/* Stops polling, closes the descriptor and drops the callback; the memory goes when libuv lets go of the poll. */
static void shutdown_watcher(Watcher *w, int from_finalizer) {
  if (w->closed) return;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  close(w->fd);
  w->fd = -1;
  if (!from_finalizer) {
    napi_delete_reference(w->env, w->callback);
    napi_async_destroy(w->env, w->async);
  }
  uv_close((uv_handle_t *)&w->poll, on_poll_closed);
}

static void finalize_watcher(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Watcher *w = (Watcher *)data;
  w->finalized = 1;
  if (!w->closed) shutdown_watcher(w, 1);
  release(w);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  Watcher *w = (Watcher *)poll->data;
  if (w->closed) return;
  size_t used = 0;
  int read_error = 0;
  if (status == 0) {
    for (;;) {
      if (w->batch_cap - used < READ_CHUNK) {
        size_t cap = w->batch_cap * 2;
        char *grown = realloc(w->batch, cap);
        if (grown == NULL) break; /* deliver what we have; the rest stays queued in the kernel */
        w->batch = grown;
        w->batch_cap = cap;
      }
      ssize_t n = read(w->fd, w->batch + used, w->batch_cap - used);
      if (n > 0) {
        used += (size_t)n;
        if (used >= 4 * 1024 * 1024) break; /* hand over big bursts in pieces; libuv calls again */
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) read_error = errno;
      break;
    }
  } else {
    read_error = -status;
  }
  if (used == 0 && read_error == 0) return;

  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, recv, argv[2];
  napi_get_reference_value(env, w->callback, &callback);
  napi_get_global(env, &recv); /* MakeCallback wants an object as receiver */
  void *copy;
  napi_create_buffer_copy(env, used, w->batch, &copy, &argv[0]);
  if (read_error != 0)
    napi_create_string_utf8(env, strerror(read_error), NAPI_AUTO_LENGTH, &argv[1]);
  else
    napi_get_undefined(env, &argv[1]);
  napi_value result;
  napi_status s = napi_make_callback(env, w->async, recv, callback, 2, argv, &result);
  if (s == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
  /* A batch that grew for a burst shrinks back so an idle watcher keeps little memory. */
  if (w->batch_cap > 4 * READ_CHUNK && !w->closed) {
    char *small = realloc(w->batch, READ_CHUNK);
    if (small != NULL) {
      w->batch = small;
      w->batch_cap = READ_CHUNK;
    }
  }
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function)
    return throw_message(env, "open(onEvents): onEvents must be a function");
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "inotify_init1");
  Watcher *w = calloc(1, sizeof *w);
  char *batch = malloc(READ_CHUNK);
  if (w == NULL || batch == NULL) {
    free(w);
    free(batch);
    close(fd);
    return throw_errno(env, ENOMEM, "open");
  }
  w->env = env;
  w->fd = fd;
  w->batch = batch;
  w->batch_cap = READ_CHUNK;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "rsync-live:inotify", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &w->async));
  CHECK(napi_create_reference(env, argv[0], 1, &w->callback));
  int err = uv_poll_init(loop, &w->poll, fd);
  if (err != 0) {
    close(fd);
    free(batch);
    free(w);
    return throw_errno(env, -err, "uv_poll_init");
  }
  w->poll.data = w;
  err = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (err != 0) {
    w->finalized = 1; /* no JS handle will ever exist */
    shutdown_watcher(w, 0);
    return throw_errno(env, -err, "uv_poll_start");
  }
  napi_value handle;
  CHECK(napi_create_external(env, w, finalize_watcher, NULL, &handle));
  return handle;
}

static napi_value js_add_watch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_message(env, "addWatch(handle, path, mask): missing arguments");
  Watcher *w = get_watcher(env, argv[0]);
  if (w == NULL) return NULL;
  bool is_buffer = false;
  napi_is_buffer(env, argv[1], &is_buffer);
  if (!is_buffer) return throw_message(env, "addWatch: path must be a Buffer");
  void *data;
  size_t length;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  uint32_t mask;
  if (napi_get_value_uint32(env, argv[2], &mask) != napi_ok)
    return throw_message(env, "addWatch: mask must be a number");
  if (memchr(data, 0, length) != NULL) return throw_errno(env, ENOENT, "inotify_add_watch");
  char *path = malloc(length + 1);
  if (path == NULL) return throw_errno(env, ENOMEM, "inotify_add_watch");
  memcpy(path, data, length);
  path[length] = '\0';
  int wd = inotify_add_watch(w->fd, path, mask);
  int err = errno;
  free(path);
  if (wd < 0) return throw_errno(env, err, "inotify_add_watch");
  napi_value result;
  CHECK(napi_create_int32(env, wd, &result));
  return result;
}

static napi_value js_rm_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_message(env, "rmWatch(handle, wd): missing arguments");
  Watcher *w = get_watcher(env, argv[0]);
  if (w == NULL) return NULL;
  int32_t wd;
  if (napi_get_value_int32(env, argv[1], &wd) != napi_ok)
    return throw_message(env, "rmWatch: wd must be a number");
  if (inotify_rm_watch(w->fd, wd) < 0 && errno != EINVAL) return throw_errno(env, errno, "inotify_rm_watch");
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return NULL;
  Watcher *w = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || w == NULL) return NULL;
  shutdown_watcher(w, 0);
  return NULL;
}

static napi_value js_malloc_trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, released != 0, &result);
  return result;
}

static void set_constant(napi_env env, napi_value target, const char *name, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, target, name, v);
}

static void set_function(napi_env env, napi_value target, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, target, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  set_function(env, exports, "open", js_open);
  set_function(env, exports, "addWatch", js_add_watch);
  set_function(env, exports, "rmWatch", js_rm_watch);
  set_function(env, exports, "close", js_close);
  set_function(env, exports, "mallocTrim", js_malloc_trim);
  napi_value c;
  napi_create_object(env, &c);
  set_constant(env, c, "IN_ACCESS", IN_ACCESS);
  set_constant(env, c, "IN_MODIFY", IN_MODIFY);
  set_constant(env, c, "IN_ATTRIB", IN_ATTRIB);
  set_constant(env, c, "IN_CLOSE_WRITE", IN_CLOSE_WRITE);
  set_constant(env, c, "IN_CLOSE_NOWRITE", IN_CLOSE_NOWRITE);
  set_constant(env, c, "IN_OPEN", IN_OPEN);
  set_constant(env, c, "IN_MOVED_FROM", IN_MOVED_FROM);
  set_constant(env, c, "IN_MOVED_TO", IN_MOVED_TO);
  set_constant(env, c, "IN_CREATE", IN_CREATE);
  set_constant(env, c, "IN_DELETE", IN_DELETE);
  set_constant(env, c, "IN_DELETE_SELF", IN_DELETE_SELF);
  set_constant(env, c, "IN_MOVE_SELF", IN_MOVE_SELF);
  set_constant(env, c, "IN_UNMOUNT", IN_UNMOUNT);
  set_constant(env, c, "IN_Q_OVERFLOW", IN_Q_OVERFLOW);
  set_constant(env, c, "IN_IGNORED", IN_IGNORED);
  set_constant(env, c, "IN_ONLYDIR", IN_ONLYDIR);
  set_constant(env, c, "IN_DONT_FOLLOW", IN_DONT_FOLLOW);
  set_constant(env, c, "IN_EXCL_UNLINK", IN_EXCL_UNLINK);
  set_constant(env, c, "IN_MASK_ADD", IN_MASK_ADD);
  set_constant(env, c, "IN_ISDIR", IN_ISDIR);
  set_constant(env, c, "IN_ONESHOT", IN_ONESHOT);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
