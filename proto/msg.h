/*
 * Short names for the intra-cluster message types (AisMsgType in
 * proto/cluster.proto) and the generated protobuf-c headers. Code outside
 * proto/ includes this instead of the generated files directly.
 */
#ifndef AIS_PROTO_MSG_H
#define AIS_PROTO_MSG_H

#include "proto/cluster.pb-c.h"
#include "proto/envelope.pb-c.h"

#define AIS_MSG_ACK AIS__AIS_MSG_TYPE__AIS_MSG_ACK
#define AIS_MSG_JOIN_REQ AIS__AIS_MSG_TYPE__AIS_MSG_JOIN_REQ
#define AIS_MSG_JOIN_RESP AIS__AIS_MSG_TYPE__AIS_MSG_JOIN_RESP
#define AIS_MSG_META_PUSH AIS__AIS_MSG_TYPE__AIS_MSG_META_PUSH
#define AIS_MSG_META_ACK AIS__AIS_MSG_TYPE__AIS_MSG_META_ACK
#define AIS_MSG_HEALTH_REQ AIS__AIS_MSG_TYPE__AIS_MSG_HEALTH_REQ
#define AIS_MSG_HEALTH_RESP AIS__AIS_MSG_TYPE__AIS_MSG_HEALTH_RESP
#define AIS_MSG_TIMER AIS__AIS_MSG_TYPE__AIS_MSG_TIMER
#define AIS_MSG_META_SYNC AIS__AIS_MSG_TYPE__AIS_MSG_META_SYNC
#define AIS_MSG_BCK_REQ AIS__AIS_MSG_TYPE__AIS_MSG_BCK_REQ
#define AIS_MSG_BCK_RESP AIS__AIS_MSG_TYPE__AIS_MSG_BCK_RESP
#define AIS_MSG_TEST_ECHO AIS__AIS_MSG_TYPE__AIS_MSG_TEST_ECHO
#define AIS_MSG_TEST_FAIL AIS__AIS_MSG_TYPE__AIS_MSG_TEST_FAIL
#define AIS_MSG__COUNT AIS__AIS_MSG_TYPE__AIS_MSG_COUNT

#endif
